{#- One row per raw table: how many raw rows this build read, staged and rejected. -#}

{%- set validated_tables = validated_source_tables() %}

with

unioned as (
    {% for source_table, model_name in validated_tables -%}
        select
            '{{ source_table }}' as source_table,
            count(*) as raw_rows,
            sum(case when reject_reason is null then 1 else 0 end) as staged_rows,
            sum(case when reject_reason is not null then 1 else 0 end) as rejected_rows,
            count(distinct source_file) as source_files
        from {{ ref(model_name) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        source_table,
        source_files,
        raw_rows,
        coalesce(staged_rows, 0) as staged_rows,
        coalesce(rejected_rows, 0) as rejected_rows,
        case
            when raw_rows > 0 then cast(coalesce(rejected_rows, 0) as double) / raw_rows else 0
        end as reject_share
    from unioned
)

select * from final
