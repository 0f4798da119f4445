-- Each Parquet export reports the row count of its mart at export time.

with

exports as (
    select * from {{ ref('rpt_mart_exports') }}
),

{%- set exported_marts = [
    'dim_customers', 'dim_customer_segments', 'dim_segments', 'rpt_segment_feature_profiles',
    'rpt_rfm_vs_clusters', 'rpt_segment_model_selection',
] %}

mart_counts as (
    {%- for mart in exported_marts %}
        select
            '{{ mart }}' as mart_name,
            count(*) as row_count
        from {{ ref(mart) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    mart_counts.mart_name,
    mart_counts.row_count,
    exports.row_count as exported_row_count
from mart_counts
left join exports
    on mart_counts.mart_name = exports.mart_name
where exports.row_count is null or exports.row_count != mart_counts.row_count
