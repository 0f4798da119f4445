{#-
    One row per segment of this build (docs block `dim_segments_grain`): the behavioural
    segments of the model in use after merges, the rule-based no-purchase segment 0, the
    noise segment -1 when the algorithm marks noise, and the placeholder segment -2 when
    customers objected to profiling. Size, value, risk, engagement, behaviour and context
    figures are computed here in one pass over the profiled customers (sums and counts per
    segment; the CLV median is the only order statistic); names, descriptions, actions,
    distinguishing features and rules come from int_segments_named. Segment -2 (docs block
    `profiling_objection_segment`) only has its size: its texts come from the macro
    `profiling_objection_segment`, every other figure is null, and its customers count in
    the customer shares but in no other total.
-#}

{%- set churn_window_days = var('churn_window_days') %}
{%- set stale_min_share = var('segment_min_share') %}
{%- set sales_channels = ['web', 'app', 'store', 'marketplace', 'other'] %}
{%- set mix_names = ['rfm_segment', 'age_band', 'country', 'product_category'] %}
{%- set no_purchase_segment_id = special_segment_ids().no_purchase %}
{%- set noise_segment_id = special_segment_ids().noise %}
{%- set objection_segment = profiling_objection_segment() %}
{%- set double_type = type_double() %}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_merged') }}
),

customer_orders as (
    select * from {{ ref('int_customers_orders_aggregated') }}
),

customer_sessions as (
    select * from {{ ref('int_customers_sessions_aggregated') }}
),

customer_campaigns as (
    select * from {{ ref('int_customers_campaigns_aggregated') }}
),

segment_names as (
    select * from {{ ref('int_segments_named') }}
),

segmented_customers as (
    -- the profiled customers: every figure below is over them only
    select
        customers.*,
        customer_segments.segment_id,
        customer_segments.model_version,
        customer_segments.is_active,
        customer_segments.is_churned,
        coalesce(customer_orders.total_discount, 0) as total_discount,
        coalesce(customer_sessions.purchase_session_count, 0) as purchase_session_count,
        coalesce(customer_campaigns.sent_campaign_count, 0) as sent_campaign_count
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    left join customer_orders
        on customer_segments.customer_id = customer_orders.customer_id
    left join customer_sessions
        on customer_segments.customer_id = customer_sessions.customer_id
    left join customer_campaigns
        on customer_segments.customer_id = customer_campaigns.customer_id
    where not customer_segments.is_profiling_objection
),

segment_totals as (
    select
        segment_id,
        max(model_version) as model_version,
        max(as_of_date) as as_of_date,
        count(*) as customer_count,
        sum(case when has_ordered then 1 else 0 end) as ordering_customer_count,
        sum(case when is_active then 1 else 0 end) as active_customer_count,
        sum(case when is_churned then 1 else 0 end) as churned_customer_count,
        sum(order_count) as order_count,
        sum(total_revenue) as total_revenue,
        sum(total_discount) as total_discount,
        {{ exact_sum('discount_share_of_orders * order_count') }} as discounted_order_count,
        {%- for sales_channel in sales_channels %}
            {{ exact_sum('share_orders_' ~ sales_channel ~ ' * order_count') }}
                as {{ sales_channel }}_order_count,
        {%- endfor %}
        {{ exact_avg('predicted_clv') }} as mean_predicted_clv,
        percentile_cont(0.5) within group (order by predicted_clv) as median_predicted_clv,
        {{ exact_avg('churn_probability') }} as mean_churn_probability,
        sum(web_session_count) as web_session_count,
        sum(purchase_session_count) as purchase_session_count,
        sum(sent_campaign_count) as sent_campaign_count,
        -- the customer's rates are per campaign sent, so rate x campaigns sent is a count.
        -- Floating-point sums go through exact_sum/exact_avg: the same digits on every build.
        {{ exact_sum('open_rate * sent_campaign_count') }} as opened_campaign_count,
        {{ exact_sum('click_rate * sent_campaign_count') }} as clicked_campaign_count,
        {{ exact_sum('conversion_rate * sent_campaign_count') }} as converted_campaign_count,
        sum(all_order_count) as all_order_count,
        sum(returned_order_count) as returned_order_count,
        sum(ticket_count) as ticket_count,
        {{ exact_sum('complaint_share * ticket_count') }} as complaint_ticket_count,
        {{ exact_avg('avg_satisfaction_score') }} as avg_satisfaction_score
    from segmented_customers
    group by 1
),

mix_counts as (
    -- customers per segment and value of each context attribute, in one long table
    select
        segment_id,
        'rfm_segment' as mix_name,
        coalesce(rfm_segment, 'none') as mix_value,
        count(*) as mix_customer_count
    from segmented_customers
    group by 1, 2, 3
    union all
    select
        segment_id,
        'age_band' as mix_name,
        coalesce(age_band, 'none') as mix_value,
        count(*) as mix_customer_count
    from segmented_customers
    group by 1, 2, 3
    union all
    select
        segment_id,
        'country' as mix_name,
        coalesce(country_code, 'none') as mix_value,
        count(*) as mix_customer_count
    from segmented_customers
    group by 1, 2, 3
    union all
    select
        segment_id,
        'product_category' as mix_name,
        top_product_category as mix_value,
        count(*) as mix_customer_count
    from segmented_customers
    where top_product_category is not null
    group by 1, 2, 3
),

mix_ranked as (
    select
        mix_counts.segment_id,
        mix_counts.mix_name,
        mix_counts.mix_value,
        cast(mix_counts.mix_customer_count as {{ double_type }}) / segment_totals.customer_count as mix_share,
        row_number() over (
            partition by mix_counts.segment_id, mix_counts.mix_name
            order by mix_counts.mix_customer_count desc, mix_counts.mix_value asc
        ) as mix_rank
    from mix_counts
    inner join segment_totals
        on mix_counts.segment_id = segment_totals.segment_id
),

mix_labelled as (
    select
        segment_id,
        mix_name,
        mix_value,
        mix_share,
        mix_rank,
        mix_value || ' ' || case
            when mix_share < 0.005 then '<1'
            else cast(cast(round(100 * mix_share) as {{ dbt.type_int() }}) as {{ dbt.type_string() }})
        end || '%' as mix_label
    from mix_ranked
    where mix_rank <= 3
),

segment_mixes as (
    -- top value, its share and the top-3 text per attribute (string_agg skips the nulls)
    select
        segment_id,
        {%- for mix_name in mix_names %}
            max(case when mix_name = '{{ mix_name }}' and mix_rank = 1 then mix_value end)
                as top_{{ mix_name }},
            max(case when mix_name = '{{ mix_name }}' and mix_rank = 1 then mix_share end)
                as top_{{ mix_name }}_share,
            {{ dbt.listagg(
                "case when mix_name = '" ~ mix_name ~ "' then mix_label end",
                "', '",
                'order by mix_rank',
            ) }} as {{ mix_name }}_mix{% if not loop.last %},{% endif %}
        {%- endfor %}
    from mix_labelled
    group by 1
),

objection_totals as (
    -- the placeholder segment -2: counted, never described
    select
        {{ objection_segment.segment_id }} as segment_id,
        max(model_version) as model_version,
        max(as_of_date) as as_of_date,
        count(*) as customer_count
    from customer_segments
    where is_profiling_objection
    having count(*) > 0
),

segment_rows as (
    select
        segment_id,
        model_version,
        as_of_date,
        customer_count
    from segment_totals
    union all
    select
        segment_id,
        model_version,
        as_of_date,
        customer_count
    from objection_totals
),

segment_texts as (
    select
        segment_id,
        segment_name,
        segment_description,
        auto_segment_name,
        value_tier,
        behaviour,
        recommended_action,
        owner,
        distinguishing_features,
        rule_text,
        rule_coverage,
        rule_precision,
        rule_sample_rows,
        is_overridden
    from segment_names
    union all
    select
        segment_id,
        '{{ objection_segment.segment_name }}' as segment_name,
        '{{ objection_segment.segment_description }}' as segment_description,
        '{{ objection_segment.segment_name }}' as auto_segment_name,
        cast(null as {{ dbt.type_string() }}) as value_tier,
        cast(null as {{ dbt.type_string() }}) as behaviour,
        '{{ objection_segment.recommended_action }}' as recommended_action,
        cast(null as {{ dbt.type_string() }}) as owner,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as distinguishing_features,
        '{{ objection_segment.rule_text }}' as rule_text,
        1.0 as rule_coverage,
        1.0 as rule_precision,
        cast(null as {{ dbt.type_int() }}) as rule_sample_rows,
        false as is_overridden
    from objection_totals
),

overall_totals as (
    -- customers of every segment, -2 included; orders and revenue of the profiled ones
    select
        sum(segment_rows.customer_count) as customer_count,
        sum(segment_totals.ordering_customer_count) as ordering_customer_count,
        sum(segment_totals.total_revenue) as total_revenue
    from segment_rows
    left join segment_totals
        on segment_rows.segment_id = segment_totals.segment_id
),

segment_staleness as (
    -- behavioural segments only: the no-purchase and noise segments are never stale
    select
        segment_totals.segment_id,
        case
            when segment_totals.segment_id in ({{ no_purchase_segment_id }}, {{ noise_segment_id }})
                then null
            when segment_totals.active_customer_count = 0
                then 'no customer ordered within the last {{ churn_window_days }} days'
            when
                cast(segment_totals.ordering_customer_count as {{ double_type }})
                / nullif(overall_totals.ordering_customer_count, 0) < {{ stale_min_share }}
                then 'fewer than {{ stale_min_share * 100 }}% of the customers with an order'
        end as stale_reason
    from segment_totals
    cross join overall_totals
),

final as (
    select
        -- ids
        segment_rows.segment_id,
        segment_rows.model_version,

        -- strings
        segment_texts.segment_name,
        segment_texts.segment_description,
        segment_texts.auto_segment_name,
        segment_texts.value_tier,
        segment_texts.behaviour,
        segment_texts.recommended_action,
        segment_texts.owner,
        segment_texts.distinguishing_features,
        segment_texts.rule_text,
        segment_mixes.top_rfm_segment,
        segment_mixes.rfm_segment_mix,
        segment_mixes.top_age_band,
        segment_mixes.age_band_mix,
        segment_mixes.top_country as top_country_code,
        segment_mixes.country_mix,
        segment_mixes.top_product_category,
        segment_staleness.stale_reason,

        -- size
        segment_rows.customer_count,
        cast(segment_rows.customer_count * 1.0 / overall_totals.customer_count as {{ double_type }})
            as customer_share,
        segment_totals.ordering_customer_count,
        segment_totals.active_customer_count,

        -- value
        segment_totals.order_count,
        cast(segment_totals.total_revenue as {{ double_type }}) as total_revenue,
        cast(segment_totals.total_revenue as {{ double_type }}) / nullif(overall_totals.total_revenue, 0) as revenue_share,
        cast(segment_totals.total_revenue as {{ double_type }}) / nullif(segment_totals.order_count, 0) as avg_order_value,
        cast(segment_totals.total_revenue as {{ double_type }}) / segment_totals.customer_count as revenue_per_customer,
        cast(segment_totals.mean_predicted_clv as {{ double_type }}) as mean_predicted_clv,
        cast(segment_totals.median_predicted_clv as {{ double_type }}) as median_predicted_clv,

        -- risk
        cast(segment_totals.mean_churn_probability as {{ double_type }}) as mean_churn_probability,
        cast(
            segment_totals.churned_customer_count * 1.0
            / nullif(segment_totals.ordering_customer_count, 0) as {{ double_type }}
        ) as churn_rate,

        -- engagement
        segment_totals.web_session_count,
        cast(
            segment_totals.purchase_session_count * 1.0
            / nullif(segment_totals.web_session_count, 0) as {{ double_type }}
        ) as session_conversion_rate,
        segment_totals.sent_campaign_count,
        {%- for response in ['opened', 'clicked', 'converted'] %}
            cast(
                segment_totals.{{ response }}_campaign_count * 1.0
                / nullif(segment_totals.sent_campaign_count, 0) as {{ double_type }}
            ) as campaign_{{ response }}_rate,
        {%- endfor %}

        -- behaviour
        cast(segment_totals.total_discount as {{ double_type }})
        / nullif(segment_totals.total_revenue + segment_totals.total_discount, 0)
            as discount_share_of_revenue,
        cast(
            segment_totals.discounted_order_count * 1.0 / nullif(segment_totals.order_count, 0)
            as {{ double_type }}
        ) as discount_share_of_orders,
        {%- for sales_channel in sales_channels %}
            cast(
                segment_totals.{{ sales_channel }}_order_count / nullif(segment_totals.order_count, 0)
                as {{ double_type }}
            ) as share_orders_{{ sales_channel }},
        {%- endfor %}
        cast(segment_mixes.top_product_category_share as {{ double_type }})
            as top_product_category_share,
        cast(
            segment_totals.returned_order_count * 1.0 / nullif(segment_totals.all_order_count, 0)
            as {{ double_type }}
        ) as return_rate,
        cast(
            segment_totals.ticket_count * 1.0 / segment_totals.customer_count as {{ double_type }}
        ) as tickets_per_customer,
        cast(
            segment_totals.ticket_count * 1.0 / nullif(segment_totals.all_order_count, 0)
            as {{ double_type }}
        ) as tickets_per_order,
        cast(
            segment_totals.complaint_ticket_count / nullif(segment_totals.ticket_count, 0)
            as {{ double_type }}
        ) as complaint_share,
        cast(segment_totals.avg_satisfaction_score as {{ double_type }}) as avg_satisfaction_score,

        -- context
        cast(segment_mixes.top_rfm_segment_share as {{ double_type }}) as top_rfm_segment_share,
        cast(segment_mixes.top_age_band_share as {{ double_type }}) as top_age_band_share,
        cast(segment_mixes.top_country_share as {{ double_type }}) as top_country_share,

        -- rules
        segment_texts.rule_coverage,
        segment_texts.rule_precision,
        segment_texts.rule_sample_rows,

        -- booleans
        segment_rows.segment_id = {{ no_purchase_segment_id }} as is_no_purchase_segment,
        segment_rows.segment_id = {{ objection_segment.segment_id }} as is_profiling_objection_segment,
        segment_texts.is_overridden,
        segment_staleness.stale_reason is not null as is_stale,

        -- dates
        segment_rows.as_of_date

    from segment_rows
    cross join overall_totals
    left join segment_totals
        on segment_rows.segment_id = segment_totals.segment_id
    left join segment_texts
        on segment_rows.segment_id = segment_texts.segment_id
    left join segment_mixes
        on segment_rows.segment_id = segment_mixes.segment_id
    left join segment_staleness
        on segment_rows.segment_id = segment_staleness.segment_id
)

select * from final
