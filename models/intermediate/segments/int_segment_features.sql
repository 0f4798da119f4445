{#-
    The clustering input: one row per customer with a completed order before the as-of date
    (`has_ordered`), with the configured features (macro `segment_features`) as doubles.
    Customers without an order are not clustered; the segment marts give them a rule-based
    segment.
-#}

{%- set double_type = 'double precision' %}

with

customers as (
    select * from {{ ref('dim_customers') }}
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

    from customers
    where has_ordered
)

select * from final
