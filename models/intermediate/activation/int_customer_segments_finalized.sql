{#-
    Every customer of this build with the segment activation and history use: the segment
    of dim_customer_segments, except for customers who objected to profiling, who get the
    placeholder segment -2 without any profile figure (docs block
    `profiling_objection_segment`), and the control-group flag (docs block `control_groups`).
    No personal data: contacts and consent are joined only in int_activation_audience.

    The control-group draw must equal custseg.activation.is_in_control_group: the first 8
    hex digits of sha256('<model_version>:<customer_id>') over 2^32, below the share
    (pytest checks both agree). The hex arithmetic is DuckDB syntax.
-#}

{%- set objection_segment_id = -2 %}
{%- set objection_segment_name = 'Not profiled (objection)' %}
{%- set control_group_share = var('control_group_share', 0.1) %}
{%- set churn_window_days = var('churn_window_days', 180) %}

{%- if target.type != 'duckdb' %}
    {{ exceptions.raise_compiler_error(
        "int_customer_segments_finalized: the control-group hash is written for DuckDB; port "
        ~ "it (sha256, first 8 hex digits as an integer) to " ~ target.type
    ) }}
{%- endif %}

with

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

segments as (
    select * from {{ ref('dim_segments') }}
),

objections as (
    select * from {{ ref('int_profiling_objections') }}
),

resolved as (
    select
        customer_segments.customer_id,
        customer_segments.model_version,
        customers.as_of_date,
        objections.customer_id is not null as is_profiling_objection,
        case
            when objections.customer_id is not null then {{ objection_segment_id }}
            else customer_segments.segment_id
        end as segment_id,
        case
            when objections.customer_id is not null then '{{ objection_segment_name }}'
            else segments.segment_name
        end as segment_name,
        case when objections.customer_id is null then segments.recommended_action end as recommended_action,
        case when objections.customer_id is null then customers.rfm_segment end as rfm_segment,
        case when objections.customer_id is null then customers.churn_probability end as churn_probability,
        case when objections.customer_id is null then customers.predicted_clv end as predicted_clv,
        customers.has_ordered,
        coalesce(customers.days_since_last_order > {{ churn_window_days }}, false) as is_churned,
        customers.is_marketing_opt_in,
        customers.has_unsubscribed,
        customers.has_bounced,
        cast(('0x' || left(sha256(
            cast(customer_segments.model_version as {{ dbt.type_string() }}) || ':' || customer_segments.customer_id
        ), 8)) as ubigint) / 4294967296.0 as control_group_bucket
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    left join segments
        on customer_segments.segment_id = segments.segment_id
    left join objections
        on customer_segments.customer_id = objections.customer_id
),

final as (
    select
        -- ids
        customer_id,
        segment_id,
        model_version,

        -- strings
        segment_name,
        recommended_action,
        rfm_segment,

        -- numerics
        churn_probability,
        predicted_clv,
        control_group_bucket,

        -- booleans
        control_group_bucket < {{ control_group_share }}
        and segment_id <> {{ objection_segment_id }} as is_control_group,
        is_profiling_objection,
        has_ordered,
        is_churned,
        is_marketing_opt_in,
        has_unsubscribed,
        has_bounced,

        -- dates
        as_of_date

    from resolved
)

select * from final
