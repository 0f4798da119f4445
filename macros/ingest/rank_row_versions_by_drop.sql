{#-
    rank_row_versions with `known_date_column`: versions per drop date (see macro
    `rank_row_versions`). One chain of windows over the narrow projection: the rank within
    a drop; then, among the drops' winners (a window partition of their own), the previous
    drop's hash; then, among the versions, the next version's known date.
-#}
{% macro rank_row_versions_by_drop(relation, key_columns, compared_columns, known_date_column) -%}
    {%- set keys = key_columns | join(', ') -%}
    {#- the narrow projection every level carries: lineage, key, drop date -#}
    {%- set narrow_columns = ['source_file', 'source_row_number'] + key_columns + [known_date_column] -%}
    {%- set drop_window -%}
        partition by {{ keys }}, {{ known_date_column }}
        order by source_file desc, source_row_number desc
    {%- endset -%}
    select
        {{ relation }}.*,
        coalesce({{ relation }}.validation_reason, verdicts.version_reason) as reject_reason,
        verdicts.valid_to_date
    from {{ relation }}
    left join (
        select
            source_file,
            source_row_number,
            case
                when drop_rank > 1 and version_hash = winner_hash then 'duplicate'
                when drop_rank > 1 then 'superseded'
                -- a drop's winner equal to the previous drop's version: an unchanged re-export
                when not is_version then 'duplicate'
            end as version_reason,
            case
                when is_version
                    then lead({{ known_date_column }}) over (
                        partition by {{ keys }}, is_version
                        order by {{ known_date_column }} asc nulls first
                    )
            end as valid_to_date
        from (
            select
                *,
                drop_rank = 1
                and coalesce(
                    version_hash <> lag(version_hash) over (
                        partition by {{ keys }}, drop_rank = 1
                        order by {{ known_date_column }} asc nulls first
                    ),
                    true
                ) as is_version
            from (
                select
                    {{ narrow_columns | join(', ') }},
                    version_hash,
                    row_number() over ({{ drop_window }}) as drop_rank,
                    first_value(version_hash) over ({{ drop_window }}) as winner_hash
                from (
                    select
                        {{ narrow_columns | join(', ') }},
                        {{ row_version_hash(compared_columns) }} as version_hash
                    from {{ relation }}
                    where validation_reason is null
                ) as rows_with_hash
            ) as ranked_in_drop
        ) as drop_winners_flagged
    ) as verdicts
        on
            {{ relation }}.source_file = verdicts.source_file
            and {{ relation }}.source_row_number = verdicts.source_row_number
            and (verdicts.version_reason is not null or verdicts.valid_to_date is not null)
{%- endmacro %}
