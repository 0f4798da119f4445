{#-
    Segment profiles (docs block `segment_feature_profiles`): per segment of this build (after
    merges, the no-purchase segment 0 included) and numeric feature of dim_customers, the
    segment mean, the mean and standard deviation over the reference population (every
    customer with a completed order, noise included) and the z-score. Customers who objected
    to profiling (segment -2, docs block `profiling_objection_segment`) are left out
    entirely: no profile of their own, and no part of the reference population. Computed from additive
    aggregates (counts, sums, sums of squares; exact decimal sums through `exact_sum`, so the
    profiles have the same digits on every build) in one pass over the customers; the overall
    spread is combined from within-segment spreads and segment means (Chan et al.). This is
    the only implementation; tests/python holds an independent pandas reference.
    Features: var `segment_profile_features` (default below) plus every clustering feature
    (macro `segment_features`).
-#}

{%- set default_profile_features = [
    'order_count', 'total_revenue', 'avg_order_value', 'days_since_last_order', 'tenure_days',
    'return_rate', 'predicted_clv', 'churn_probability',
    'share_orders_web', 'share_orders_app', 'share_orders_store', 'share_orders_marketplace',
    'product_category_count', 'discount_share_of_revenue', 'discount_share_of_orders',
    'web_session_count', 'web_page_view_count', 'abandoned_cart_count', 'days_since_last_session',
    'ticket_count', 'tickets_per_order', 'avg_satisfaction_score', 'complaint_share',
    'campaign_touch_count', 'open_rate', 'click_rate', 'conversion_rate',
] %}
{%- set clustering_features = segment_features() | map(attribute='name') | list %}
{%- set profile_features = [] %}
{%- for feature in (var('segment_profile_features') or default_profile_features)
    + clustering_features %}
    {%- if feature not in profile_features %}
        {%- do profile_features.append(feature) %}
    {%- endif %}
{%- endfor %}
{%- set no_purchase_segment_id = special_segment_ids().no_purchase %}
{%- set double_type = type_double() %}

with

customers as (
    select * from {{ ref('int_customers_joined') }}
),

customer_segments as (
    select * from {{ ref('int_customer_segments_merged') }}
),

segment_sums as (
    select
        customer_segments.segment_id,
        count(*) as customer_count,
        {%- for feature in profile_features %}
            count(customers.{{ feature }}) as {{ feature }}__count,
            {{ exact_sum('customers.' ~ feature) }} as {{ feature }}__sum,
            {{ exact_sum(
                'cast(customers.' ~ feature ~ ' as ' ~ double_type ~ ') * cast(customers.'
                ~ feature ~ ' as ' ~ double_type ~ ')'
            ) }} as {{ feature }}__sum_sq
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from customer_segments
    inner join customers
        on customer_segments.customer_id = customers.customer_id
    where not customer_segments.is_profiling_objection
    group by 1
),

feature_sums as (
    {%- for feature in profile_features %}
        select
            segment_id,
            '{{ feature }}' as feature,
            {{ loop.index }} as feature_position,
            {{ 'true' if feature in clustering_features else 'false' }} as is_clustering_feature,
            customer_count,
            {{ feature }}__count as value_count,
            {{ feature }}__sum as value_sum,
            {{ feature }}__sum_sq as value_sum_sq
        from segment_sums
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

segment_moments as (
    select
        *,
        value_sum / nullif(value_count, 0) as segment_mean,
        -- within-segment sum of squared deviations, clipped at 0 against rounding
        case
            when value_count > 0
                then greatest(value_sum_sq - value_sum * value_sum / value_count, 0)
            else 0
        end as segment_m2
    from feature_sums
),

reference_means as (
    -- the reference population: every customer with a completed order
    select
        feature,
        sum(value_count) as reference_count,
        {{ exact_sum('value_sum') }} / nullif(sum(value_count), 0) as overall_mean
    from segment_moments
    where segment_id != {{ no_purchase_segment_id }}
    group by 1
),

segment_deviations as (
    -- a segment's share of the squared deviations from the overall mean, beyond its own spread
    select
        segment_moments.feature,
        segment_moments.segment_m2,
        case
            when segment_moments.value_count > 0
                then
                    segment_moments.value_count
                    * (segment_moments.segment_mean - reference_means.overall_mean)
                    * (segment_moments.segment_mean - reference_means.overall_mean)
            else 0
        end as between_m2
    from segment_moments
    inner join reference_means
        on segment_moments.feature = reference_means.feature
    where segment_moments.segment_id != {{ no_purchase_segment_id }}
),

reference_m2 as (
    -- total squared deviations = within-segment ones + between-segment ones (Chan et al.)
    select
        reference_means.feature,
        reference_means.overall_mean,
        reference_means.reference_count,
        {{ exact_sum('segment_deviations.segment_m2 + segment_deviations.between_m2') }}
            as reference_m2
    from reference_means
    inner join segment_deviations
        on reference_means.feature = segment_deviations.feature
    group by 1, 2, 3
),

reference_spreads as (
    select
        feature,
        overall_mean,
        case
            when reference_count > 1 then sqrt(reference_m2 / (reference_count - 1))
        end as overall_std
    from reference_m2
),

final as (
    select
        -- ids
        segment_moments.segment_id,
        segment_moments.feature,

        -- numerics
        segment_moments.feature_position,
        segment_moments.customer_count,
        segment_moments.value_count,
        segment_moments.value_sum,
        segment_moments.value_sum_sq,
        segment_moments.segment_mean,
        reference_spreads.overall_mean,
        reference_spreads.overall_std,

        -- booleans
        segment_moments.is_clustering_feature,

        -- z-score
        case
            when segment_moments.value_count = 0 then null
            when
                reference_spreads.overall_std is null
                or reference_spreads.overall_std
                <= 1e-12 * greatest(1, abs(reference_spreads.overall_mean))
                then 0
            else
                (segment_moments.segment_mean - reference_spreads.overall_mean)
                / reference_spreads.overall_std
        end as z_score

    from segment_moments
    left join reference_spreads
        on segment_moments.feature = reference_spreads.feature
)

select * from final
