{#-
    Customers who objected to profiling (docs block `profiling_objection_segment`) are in no
    clustering input and no model assignment, and dim_customer_segments puts exactly them in
    the placeholder segment -2, under its fixed name and without RFM segment, churn
    probability or CLV. Fails with one row per violation.
-#}

{%- set objection_segment = profiling_objection_segment() %}

with

objections as (
    select * from {{ ref('int_profiling_objections') }}
),

clustering_input as (
    select * from {{ ref('int_segment_features') }}
),

model_assignments as (
    select * from {{ ref('int_customer_segments_assigned') }}
),

customer_segments as (
    select * from {{ ref('dim_customer_segments') }}
),

clustered_objectors as (
    select
        clustering_input.customer_id,
        'in int_segment_features' as violation
    from clustering_input
    inner join objections
        on clustering_input.customer_id = objections.customer_id
),

assigned_objectors as (
    select
        model_assignments.customer_id,
        'in int_customer_segments_assigned' as violation
    from model_assignments
    inner join objections
        on model_assignments.customer_id = objections.customer_id
),

misplaced_customers as (
    select
        customer_segments.customer_id,
        'segment ' || cast(customer_segments.segment_id as {{ dbt.type_string() }})
        || case when objections.customer_id is null then ' without' else ' with' end
        || ' an objection' as violation
    from customer_segments
    left join objections
        on customer_segments.customer_id = objections.customer_id
    where
        (objections.customer_id is not null)
        <> (customer_segments.segment_id = {{ objection_segment.segment_id }})
        or (objections.customer_id is not null) <> customer_segments.is_profiling_objection
),

profiled_placeholders as (
    select
        customer_id,
        'segment -2 with a name, RFM segment, churn probability or CLV' as violation
    from customer_segments
    where
        segment_id = {{ objection_segment.segment_id }}
        and (
            segment_name <> '{{ objection_segment.segment_name }}'
            or rfm_segment is not null
            or churn_probability is not null
            or predicted_clv is not null
            or model_segment_id is not null
        )
)

select * from clustered_objectors
union all
select * from assigned_objectors
union all
select * from misplaced_customers
union all
select * from profiled_placeholders
