{#-
    Purchase-rate lift of the campaigns over the control group, with its uncertainty, one row
    per run and segment whose response window has passed (docs block `segment_campaign_lift`).
    The counts come from rpt_segment_drift: treated customers (outside the control group) and
    control customers of the segment at the run, and how many of each purchased while the
    run's assignments were live. Everything below is arithmetic on those four counts.

    * Absolute lift: treated rate − control rate, with Newcombe's hybrid score interval
      (method 10 of Newcombe 1998) built from the two groups' Wilson intervals.
    * Relative lift: the rate ratio, with the interval exp(ln ratio ± z · se),
      se = sqrt(1/x1 − 1/n1 + 1/x2 − 1/n2); null with a reason when a group has no purchaser.
    * Minimum detectable lift at the two group sizes: (z_α/2 + z_β) · sqrt(p(1 − p)(1/n1 + 1/n2))
      at the control rate p, two-sided α = 0.05, power 0.8.
    * A verdict in words.
-#}

{%- set z_alpha = 1.959964 %}  {#- standard normal quantile 0.975: two-sided 95 % #}
{%- set z_power = 0.841621 %}  {#- standard normal quantile 0.8: power 80 % #}
{%- set min_group_customers = var('lift_min_group_customers') %}
{%- set segment_ids = special_segment_ids() %}
{%- set double = type_double() %}
{#- The statistics built from sqrt, ln and exp are rounded to 10 decimals: the engines' math
    libraries may differ in the last binary digit, and a rounded value is the same on both
    (and can be written down in a unit test). The plain rates and the lift are exact. #}
{%- set digits = 10 %}

with

segment_drift as (
    select * from {{ ref('rpt_segment_drift') }}
),

-- runs whose response window has passed; segment -2 is neither treated nor held out
group_counts as (
    select
        drift_id as lift_id,
        segment_id,
        model_version,
        segment_name,
        run_number,
        treated_customer_count,
        treated_purchaser_count,
        cast(control_customer_count as {{ dbt.type_bigint() }}) as control_customer_count,
        control_purchaser_count,
        as_of_date,
        response_window_end_date,
        cast(treated_customer_count as {{ double }}) as treated_n,
        cast(treated_purchaser_count as {{ double }}) as treated_x,
        cast(control_customer_count as {{ double }}) as control_n,
        cast(control_purchaser_count as {{ double }}) as control_x
    from segment_drift
    where
        treated_purchaser_count is not null
        and customer_count > 0
        and segment_id <> {{ segment_ids.profiling_objection }}
),

rates as (
    select
        *,
        {{ ratio('treated_purchaser_count', 'treated_customer_count') }} as treated_purchase_rate,
        {{ ratio('control_purchaser_count', 'control_customer_count') }} as control_purchase_rate,
        {{ wilson_score_bound('treated_purchaser_count', 'treated_customer_count', 'lower', z_alpha) }}
            as treated_rate_lower,
        {{ wilson_score_bound('treated_purchaser_count', 'treated_customer_count', 'upper', z_alpha) }}
            as treated_rate_upper,
        {{ wilson_score_bound('control_purchaser_count', 'control_customer_count', 'lower', z_alpha) }}
            as control_rate_lower,
        {{ wilson_score_bound('control_purchaser_count', 'control_customer_count', 'upper', z_alpha) }}
            as control_rate_upper
    from group_counts
),

lifts as (
    select
        *,
        treated_purchase_rate - control_purchase_rate as purchase_rate_lift,
        -- Newcombe's hybrid score interval: each side combines the distances of the two
        -- rates to the Wilson bounds in the direction that side moves the difference
        treated_purchase_rate - control_purchase_rate
        - sqrt(
            power(treated_purchase_rate - treated_rate_lower, 2)
            + power(control_rate_upper - control_purchase_rate, 2)
        ) as purchase_rate_lift_lower,
        treated_purchase_rate - control_purchase_rate
        + sqrt(
            power(treated_rate_upper - treated_purchase_rate, 2)
            + power(control_purchase_rate - control_rate_lower, 2)
        ) as purchase_rate_lift_upper,
        case
            when control_customer_count = 0 then 'no control customers'
            when treated_customer_count = 0 then 'no treated customers'
            when control_purchaser_count = 0 then 'no purchaser in the control group'
            when treated_purchaser_count = 0 then 'no purchaser among treated customers'
        end as purchase_rate_ratio_null_reason
    from rates
),

ratios as (
    select
        *,
        case
            when purchase_rate_ratio_null_reason is null
                then treated_purchase_rate / control_purchase_rate
        end as purchase_rate_ratio,
        case
            when purchase_rate_ratio_null_reason is null
                then sqrt(1 / treated_x - 1 / treated_n + 1 / control_x - 1 / control_n)
        end as log_ratio_standard_error,
        -- at a control rate of 0 or 1 the formula gives 0: no information, not a tiny effect
        case
            when control_purchase_rate > 0 and control_purchase_rate < 1 and treated_n > 0
                then
                    ({{ z_alpha }} + {{ z_power }})
                    * sqrt(
                        control_purchase_rate * (1 - control_purchase_rate)
                        * (1 / treated_n + 1 / control_n)
                    )
        end as minimum_detectable_lift
    from lifts
),

final as (
    select
        -- ids
        lift_id,
        segment_id,
        model_version,

        -- strings
        segment_name,
        case
            when
                treated_customer_count < {{ min_group_customers }}
                or control_customer_count < {{ min_group_customers }}
                then 'too few customers'
            when purchase_rate_lift_lower > 0 then 'higher than control'
            when purchase_rate_lift_upper < 0 then 'lower than control'
            else 'not distinguishable from zero'
        end as lift_verdict,
        purchase_rate_ratio_null_reason,

        -- numerics: counts
        run_number,
        treated_customer_count,
        treated_purchaser_count,
        control_customer_count,
        control_purchaser_count,

        -- numerics: rates and lifts
        treated_purchase_rate,
        control_purchase_rate,
        purchase_rate_lift,
        round(purchase_rate_lift_lower, {{ digits }}) as purchase_rate_lift_lower,
        round(purchase_rate_lift_upper, {{ digits }}) as purchase_rate_lift_upper,
        round(purchase_rate_ratio, {{ digits }}) as purchase_rate_ratio,
        round(
            exp(ln(purchase_rate_ratio) - {{ z_alpha }} * log_ratio_standard_error), {{ digits }}
        ) as purchase_rate_ratio_lower,
        round(
            exp(ln(purchase_rate_ratio) + {{ z_alpha }} * log_ratio_standard_error), {{ digits }}
        ) as purchase_rate_ratio_upper,
        round(minimum_detectable_lift, {{ digits }}) as minimum_detectable_lift,

        -- dates
        as_of_date,
        response_window_end_date

    from ratios
)

select * from final
