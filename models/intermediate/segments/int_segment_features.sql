{#-
    The clustering input: one row per customer with a completed order before the as-of date
    (`has_ordered`) who has not objected to profiling (int_profiling_objections, docs block
    `profiling_objection_segment`), with the configured features (macro `segment_features`)
    as doubles. Customers without an order are not clustered; the segment marts give them
    the rule-based segment 0, and objectors the placeholder segment -2.
-#}

{%- set double_type = type_double() %}

with

customers as (
    select * from {{ ref('int_customers_joined') }}
),

profiling_objections as (
    select * from {{ ref('int_profiling_objections') }}
),

profiled_buyers as (
    select customers.*
    from customers
    left join profiling_objections
        on customers.customer_id = profiling_objections.customer_id
    where
        customers.has_ordered
        and profiling_objections.customer_id is null
),

final as (
    select
        -- ids
        customer_id,

        -- dates
        as_of_date,

        -- features
        {%- for feature in segment_features() %}
            cast({{ feature.name }} as {{ double_type }}) as {{ feature.name }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from profiled_buyers
)

select * from final
