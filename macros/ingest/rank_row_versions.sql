{#-
    Select from `relation` (a CTE with `validation_reason`, `source_file`, `source_row_number`)
    adding `reject_reason`: the validation reason, or for rows that passed validation but
    share their key with another valid row, `duplicate` (same values as the winner) or
    `superseded` (different values). The winner of a key is the row from the last file by
    name, then the last row in that file.

    Only valid rows take part (an invalid row keeps its validation reason), and only those
    whose key hash occurs more than once: a hash aggregate finds those few keys, and the
    window sorts just their rows, as a narrow projection (key, lineage and a hash of the
    compared values). Sorting every row by key instead took most of the model's time at
    millions of rows. A hash collision only adds rows to the window, which partitions by the
    key itself. The few losing rows are joined back by their lineage (file and row number).
-#}
{% macro rank_row_versions(relation, key_columns, compared_columns) -%}
    {%- set partition_by = key_columns -%}
    {%- set window_spec -%}
        partition by {{ partition_by | join(', ') }}
        order by source_file desc, source_row_number desc
    {%- endset -%}
    select
        {{ relation }}.*,
        coalesce(
            {{ relation }}.validation_reason,
            case
                when losers.source_row_number is null then null
                when losers.version_hash = losers.winner_hash then 'duplicate'
                else 'superseded'
            end
        ) as reject_reason
    from {{ relation }}
    left join (
        select
            source_file,
            source_row_number,
            version_hash,
            winner_hash
        from (
            select
                source_file,
                source_row_number,
                version_hash,
                row_number() over ({{ window_spec }}) as version_rank,
                first_value(version_hash) over ({{ window_spec }}) as winner_hash
            from (
                select
                    source_file,
                    source_row_number,
                    {{ key_columns | join(', ') }},
                    {{ row_version_hash(compared_columns) }} as version_hash
                from {{ relation }}
                where
                    validation_reason is null
                    and {{ row_version_hash(key_columns) }} in (
                        select {{ row_version_hash(key_columns) }}
                        from {{ relation }}
                        where validation_reason is null
                        group by 1
                        having count(*) > 1
                    )
            ) as versions
        ) as ranked
        where version_rank > 1
    ) as losers
        on
            {{ relation }}.source_file = losers.source_file
            and {{ relation }}.source_row_number = losers.source_row_number
{%- endmacro %}
