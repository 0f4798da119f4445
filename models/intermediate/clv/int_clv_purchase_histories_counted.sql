{#-
    The purchase model's likelihood depends on a customer only through (frequency, recency,
    T): one row per distinct triple with the number of customers who have it. The fit in
    `int_clv_parameters_fitted` weights each triple by that count, which gives exactly the
    likelihood over every customer, so Python never reads one row per customer to fit.
-#}

with

clv_inputs as (
    select * from {{ ref('int_clv_inputs') }}
),

final as (
    select
        -- numerics
        frequency,
        recency,
        t,
        count(*) as customer_count

    from clv_inputs
    group by 1, 2, 3
)

select * from final
