{#-
    The Gamma-Gamma spend model's likelihood depends on a repeat buyer only through
    (frequency, monetary_value): one row per distinct pair with the number of repeat buyers
    (frequency > 0, positive average spend) who have it. `int_clv_parameters_fitted` weights
    each pair by that count, which gives exactly the likelihood over every repeat buyer.
-#}

with

clv_inputs as (
    select * from {{ ref('int_clv_inputs') }}
),

repeat_buyers as (
    select * from clv_inputs
    where frequency > 0 and monetary_value > 0
),

final as (
    select
        -- numerics
        frequency,
        monetary_value,
        count(*) as customer_count

    from repeat_buyers
    group by 1, 2
)

select * from final
