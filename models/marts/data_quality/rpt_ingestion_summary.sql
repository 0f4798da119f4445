{#-
    One row per raw table: how many files this build read and quarantined, and how many raw
    rows it read, staged and rejected. A quarantined file is row 0 of its file in the
    validation model (read_raw_table); it counts as a file, not as a row.
-#}

{%- set validated_tables = validated_source_tables() %}

with

unioned as (
    {% for source_table, model_name in validated_tables -%}
        select
            '{{ source_table }}' as source_table,
            source_file,
            source_row_number,
            reject_reason
        from {{ ref(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

quarantined as (
    select
        source_table,
        count(*) as quarantined_files,
        {{ sorted_string_agg(dbt.concat(['source_file', "': '", 'reject_reason']), "'; '") }}
            as quarantined_file_reasons
    from unioned
    where source_row_number = 0
    group by 1
),

read_rows as (
    select
        source_table,
        count(source_file) as raw_rows,
        sum(case when reject_reason is null then 1 else 0 end) as staged_rows,
        sum(case when reject_reason is not null then 1 else 0 end) as rejected_rows,
        count(distinct source_file) as source_files
    from unioned
    where source_row_number > 0
    group by 1
),

tables as (
    {% for source_table, model_name in validated_tables -%}
        select '{{ source_table }}' as source_table
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        tables.source_table,
        quarantined.quarantined_file_reasons,
        coalesce(read_rows.source_files, 0) as source_files,
        coalesce(quarantined.quarantined_files, 0) as quarantined_files,
        coalesce(read_rows.raw_rows, 0) as raw_rows,
        coalesce(read_rows.staged_rows, 0) as staged_rows,
        coalesce(read_rows.rejected_rows, 0) as rejected_rows,
        case
            when read_rows.raw_rows > 0
                then cast(coalesce(read_rows.rejected_rows, 0) as double) / read_rows.raw_rows
            else 0
        end as reject_share
    from tables
    left join read_rows
        on tables.source_table = read_rows.source_table
    left join quarantined
        on tables.source_table = quarantined.source_table
)

select * from final
