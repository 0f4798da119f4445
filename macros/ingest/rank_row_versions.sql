{#-
    Select from `relation` (a CTE with `validation_reason`, `source_file`, `source_row_number`)
    adding `reject_reason`: the validation reason, or for rows that passed validation but
    share their key with another valid row, `duplicate` (same values as the winner) or
    `superseded` (different values). The winner of a key is the row from the last file by
    name, then the last row in that file.
-#}
{% macro rank_row_versions(relation, key_columns, compared_columns) -%}
    {%- set partition_by = ['validation_reason is null'] + key_columns -%}
    select
        ranked.*,
        coalesce(
            ranked.validation_reason,
            case
                when ranked.version_rank = 1 then null
                when ranked.version_hash = ranked.winner_hash then 'duplicate'
                else 'superseded'
            end
        ) as reject_reason
    from (
        select
            hashed_versions.*,
            row_number() over (
                partition by {{ partition_by | join(', ') }}
                order by source_file desc, source_row_number desc
            ) as version_rank,
            first_value(version_hash) over (
                partition by {{ partition_by | join(', ') }}
                order by source_file desc, source_row_number desc
            ) as winner_hash
        from (
            select
                {{ relation }}.*,
                {{ row_version_hash(compared_columns) }} as version_hash
            from {{ relation }}
        ) as hashed_versions
    ) as ranked
{%- endmacro %}
