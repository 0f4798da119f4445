{#-
    Drift and performance of the segments, one row per run of fct_segment_history and
    segment (docs block `segment_drift`), for the runs up to this build's as-of date.
    A segment of the previous run that has no customer in a run still gets a row (0
    customers), so the PSI terms of a run add up to its PSI.

    * Shares and PSI against the previous run, matched by segment_id, shares floored at
      1e-4; centroid shift between model versions; silhouette from
      fct_segment_run_silhouettes; share of customers who changed segment, from the
      run-to-run transitions of fct_segment_migrations (stays and moves).
    * Segment age and staleness (docs block `segment_staleness`), churn rate.
    * Response while the run's assignments were live, from its as-of date to the next
      run's (capped at this build's as-of date): last-click attribution within var
      `attribution_window_days`, campaign cost split by touches, purchase-rate lift over
      the run's control group.
    * `is_refit_recommended`: the latest run's PSI exceeds var `psi_warn` under the same
      model version as the run before it; int_segment_model_versions reads it at the next
      build (through int_segment_refit_signals, source `previous_build.segment_drift`).
-#}

{%- set segment_ids = special_segment_ids() %}
{%- set share_floor = 0.0001 %}
{%- set psi_warn = var('psi_warn') %}
{%- set attribution_window_days = var('attribution_window_days') %}
{%- set stale_min_share = var('segment_min_share') %}
{%- set timestamp_type = dbt.type_timestamp() %}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

segment_history as (
    select * from {{ ref('fct_segment_history') }}
),

segment_migrations as (
    select * from {{ ref('fct_segment_migrations') }}
),

-- only runs up to this build's as-of date
ordered_runs as (
    select * from {{ ref('fct_segment_runs') }}
),

run_silhouettes as (
    select * from {{ ref('fct_segment_run_silhouettes') }}
),

centroids as (
    select * from {{ ref('int_segment_centroids') }}
),

preprocessing as (
    select * from {{ ref('int_segment_preprocessing') }}
),

marketing_events as (
    select * from {{ ref('stg_marketing__events') }}
),

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

orders as (
    select * from {{ ref('int_orders_filtered') }}
),

-- runs ------------------------------------------------------------------------------------

run_windows as (
    select
        ordered_runs.*,
        cast(ordered_runs.as_of_date as {{ timestamp_type }}) as window_start_at,
        cast(
            case
                when ordered_runs.next_as_of_date < as_of.as_of_date then ordered_runs.next_as_of_date
                else as_of.as_of_date
            end as {{ timestamp_type }}
        ) as window_end_at
    from ordered_runs
    cross join as_of
),

assignments as (
    select
        ordered_runs.run_number,
        segment_history.customer_id,
        segment_history.segment_id,
        segment_history.segment_name,
        segment_history.is_control_group,
        segment_history.has_ordered,
        segment_history.is_churned
    from segment_history
    inner join ordered_runs
        on
            segment_history.as_of_date = ordered_runs.as_of_date
            and segment_history.model_version = ordered_runs.model_version
),

-- sizes, shares and PSI ---------------------------------------------------------------------

segment_sizes as (
    select
        run_number,
        segment_id,
        max(segment_name) as segment_name,
        count(*) as customer_count,
        sum(case when has_ordered then 1 else 0 end) as ordering_customer_count,
        sum(case when has_ordered and not is_churned then 1 else 0 end) as active_customer_count,
        sum(case when has_ordered and is_churned then 1 else 0 end) as churned_customer_count,
        sum(case when is_control_group then 1 else 0 end) as control_customer_count
    from assignments
    group by 1, 2
),

run_segments as (
    select
        run_number,
        segment_id
    from segment_sizes
    union
    select
        segment_sizes.run_number + 1 as run_number,
        segment_sizes.segment_id
    from segment_sizes
    inner join ordered_runs
        on segment_sizes.run_number + 1 = ordered_runs.run_number
),

shares as (
    select
        run_segments.run_number,
        run_segments.segment_id,
        coalesce(current_sizes.segment_name, previous_sizes.segment_name) as segment_name,
        coalesce(current_sizes.customer_count, 0) as customer_count,
        coalesce(current_sizes.ordering_customer_count, 0) as ordering_customer_count,
        coalesce(current_sizes.active_customer_count, 0) as active_customer_count,
        coalesce(current_sizes.churned_customer_count, 0) as churned_customer_count,
        coalesce(current_sizes.control_customer_count, 0) as control_customer_count,
        cast(coalesce(current_sizes.customer_count, 0) as {{ type_double() }})
        / ordered_runs.run_customer_count as customer_share,
        case
            when ordered_runs.previous_run_customer_count is not null
                then
                    cast(coalesce(previous_sizes.customer_count, 0) as {{ type_double() }})
                    / ordered_runs.previous_run_customer_count
        end as previous_customer_share
    from run_segments
    inner join ordered_runs
        on run_segments.run_number = ordered_runs.run_number
    left join segment_sizes as current_sizes
        on
            run_segments.run_number = current_sizes.run_number
            and run_segments.segment_id = current_sizes.segment_id
    left join segment_sizes as previous_sizes
        on
            run_segments.run_number = previous_sizes.run_number + 1
            and run_segments.segment_id = previous_sizes.segment_id
),

psi_terms as (
    select
        *,
        case
            when previous_customer_share is not null
                then
                    (
                        greatest(customer_share, {{ share_floor }})
                        - greatest(previous_customer_share, {{ share_floor }})
                    )
                    * ln(
                        greatest(customer_share, {{ share_floor }})
                        / greatest(previous_customer_share, {{ share_floor }})
                    )
        end as psi_contribution
    from shares
),

-- movement between runs ---------------------------------------------------------------------

movements as (
    -- customers in both this run and the previous one, by their segment now
    select
        ordered_runs.run_number,
        segment_migrations.to_segment_id as segment_id,
        sum(segment_migrations.customer_count) as returning_customer_count,
        sum(
            case when segment_migrations.migration_type = 'moved' then segment_migrations.customer_count else 0 end
        ) as changed_customer_count
    from segment_migrations
    inner join ordered_runs
        on
            segment_migrations.as_of_date = ordered_runs.as_of_date
            and segment_migrations.model_version = ordered_runs.model_version
    where segment_migrations.migration_type in ('stayed', 'moved')
    group by 1, 2
),

first_appearances as (
    select
        segment_sizes.segment_id,
        min(ordered_runs.as_of_date) as first_as_of_date,
        min(segment_sizes.run_number) as first_run_number
    from segment_sizes
    inner join ordered_runs
        on segment_sizes.run_number = ordered_runs.run_number
    group by 1
),

-- centroid shift between model versions (in the newer version's scaled space) ----------------

unscaled_centroids as (
    select
        centroids.model_version,
        centroids.segment_id,
        centroids.column_name,
        preprocessing.scale_scale,
        centroids.centroid_value * preprocessing.scale_scale + preprocessing.scale_center as unscaled_value
    from centroids
    inner join preprocessing
        on
            centroids.model_version = preprocessing.model_version
            and centroids.column_name = preprocessing.column_name
    where preprocessing.is_kept
),

version_pairs as (
    select distinct
        model_version,
        previous_model_version
    from ordered_runs
    where previous_model_version is not null and previous_model_version <> model_version
),

centroid_shifts as (
    select
        version_pairs.model_version,
        version_pairs.previous_model_version,
        current_centroids.segment_id,
        sqrt({{ exact_sum(
            'power((current_centroids.unscaled_value - previous_centroids.unscaled_value)'
            ~ ' / current_centroids.scale_scale, 2)'
        ) }}) as centroid_shift
    from version_pairs
    inner join unscaled_centroids as current_centroids
        on version_pairs.model_version = current_centroids.model_version
    inner join unscaled_centroids as previous_centroids
        on
            version_pairs.previous_model_version = previous_centroids.model_version
            and current_centroids.segment_id = previous_centroids.segment_id
            and current_centroids.column_name = previous_centroids.column_name
    group by 1, 2, 3
),

-- response while the run's assignments were live --------------------------------------------

events_before_as_of as (
    select marketing_events.*
    from marketing_events
    cross join as_of
    where marketing_events.event_at < cast(as_of.as_of_date as {{ timestamp_type }})
),

touches as (
    select * from events_before_as_of
    where event_type = 'sent'
),

clicks as (
    select * from events_before_as_of
    where event_type = 'click'
),

conversions as (
    select * from events_before_as_of
    where event_type = 'conversion'
),

campaign_touch_counts as (
    select
        campaign_id,
        count(*) as touch_count
    from touches
    group by 1
),

touch_costs as (
    select
        touches.customer_id,
        touches.event_at,
        cast(campaigns.campaign_cost as {{ type_double() }}) / campaign_touch_counts.touch_count as touch_cost
    from touches
    inner join campaign_touch_counts
        on touches.campaign_id = campaign_touch_counts.campaign_id
    inner join campaigns
        on touches.campaign_id = campaigns.campaign_id
),

ranked_conversion_clicks as (
    select
        conversions.marketing_event_id,
        conversions.customer_id,
        conversions.event_at as converted_at,
        row_number() over (
            partition by conversions.marketing_event_id
            order by clicks.event_at desc, clicks.campaign_id desc
        ) as click_rank
    from conversions
    inner join clicks
        on
            conversions.customer_id = clicks.customer_id
            and conversions.event_at >= clicks.event_at
            and {{ dbt.dateadd('day', -attribution_window_days, 'conversions.event_at') }} <= clicks.event_at
),

attributed_conversions as (
    select * from ranked_conversion_clicks
    where click_rank = 1
),

purchases as (
    select * from orders
    where is_purchase
),

attributed_purchases as (
    select distinct
        purchases.order_id,
        purchases.customer_id,
        purchases.ordered_at,
        purchases.order_total
    from purchases
    inner join clicks
        on
            purchases.customer_id = clicks.customer_id
            and purchases.ordered_at >= clicks.event_at
            and {{ dbt.dateadd('day', -attribution_window_days, 'purchases.ordered_at') }} <= clicks.event_at
),

window_touches as (
    select
        run_windows.run_number,
        touch_costs.customer_id,
        touch_costs.touch_cost
    from touch_costs
    inner join run_windows
        on {{ in_run_window('touch_costs.event_at', 'run_windows') }}
),

window_conversions as (
    select
        run_windows.run_number,
        attributed_conversions.customer_id,
        attributed_conversions.marketing_event_id
    from attributed_conversions
    inner join run_windows
        on {{ in_run_window('attributed_conversions.converted_at', 'run_windows') }}
),

window_attributed_purchases as (
    select
        run_windows.run_number,
        attributed_purchases.customer_id,
        attributed_purchases.order_total
    from attributed_purchases
    inner join run_windows
        on {{ in_run_window('attributed_purchases.ordered_at', 'run_windows') }}
),

window_purchasers as (
    select distinct
        run_windows.run_number,
        purchases.customer_id
    from purchases
    inner join run_windows
        on {{ in_run_window('purchases.ordered_at', 'run_windows') }}
),

customer_touches as (
    select
        run_number,
        customer_id,
        count(*) as touch_count,
        sum(touch_cost) as touch_cost
    from window_touches
    group by 1, 2
),

customer_conversions as (
    select
        run_number,
        customer_id,
        count(*) as conversion_count
    from window_conversions
    group by 1, 2
),

customer_attributed_revenue as (
    select
        run_number,
        customer_id,
        sum(order_total) as attributed_revenue
    from window_attributed_purchases
    group by 1, 2
),

segment_responses as (
    select
        assignments.run_number,
        assignments.segment_id,
        coalesce(sum(customer_touches.touch_count), 0) as touch_count,
        sum(case when customer_touches.customer_id is not null then 1 else 0 end) as touched_customer_count,
        sum(
            case
                when customer_touches.customer_id is not null and customer_conversions.customer_id is not null
                    then 1
                else 0
            end
        ) as responding_customer_count,
        coalesce(sum(customer_conversions.conversion_count), 0) as attributed_conversion_count,
        coalesce(sum(customer_touches.touch_cost), 0) as allocated_campaign_cost,
        coalesce(sum(customer_attributed_revenue.attributed_revenue), 0) as attributed_revenue,
        sum(case when not assignments.is_control_group then 1 else 0 end) as treated_customer_count,
        sum(
            case when not assignments.is_control_group and window_purchasers.customer_id is not null then 1 else 0 end
        ) as treated_purchaser_count,
        sum(
            case when assignments.is_control_group and window_purchasers.customer_id is not null then 1 else 0 end
        ) as control_purchaser_count
    from assignments
    left join customer_touches
        on
            assignments.run_number = customer_touches.run_number
            and assignments.customer_id = customer_touches.customer_id
    left join customer_conversions
        on
            assignments.run_number = customer_conversions.run_number
            and assignments.customer_id = customer_conversions.customer_id
    left join customer_attributed_revenue
        on
            assignments.run_number = customer_attributed_revenue.run_number
            and assignments.customer_id = customer_attributed_revenue.customer_id
    left join window_purchasers
        on
            assignments.run_number = window_purchasers.run_number
            and assignments.customer_id = window_purchasers.customer_id
    group by 1, 2
),

-- everything per run and segment -------------------------------------------------------------

combined as (
    select
        psi_terms.*,
        run_windows.as_of_date,
        run_windows.model_version,
        run_windows.previous_as_of_date,
        run_windows.previous_model_version,
        run_windows.run_customer_count,
        run_windows.run_ordering_customer_count,
        run_windows.window_start_at,
        run_windows.window_end_at,
        run_windows.run_number = run_windows.run_count as is_latest_run,
        run_windows.window_end_at > run_windows.window_start_at as has_response_window,
        coalesce(
            run_windows.previous_model_version = run_windows.model_version, false
        ) as is_same_model_as_previous_run,
        movements.returning_customer_count,
        movements.changed_customer_count,
        first_appearances.first_as_of_date,
        first_appearances.first_run_number,
        centroid_shifts.centroid_shift as centroid_shift_between_versions,
        run_silhouettes.silhouette,
        run_silhouettes.model_silhouette as segment_row_model_silhouette,
        segment_responses.touch_count,
        segment_responses.touched_customer_count,
        segment_responses.responding_customer_count,
        segment_responses.attributed_conversion_count,
        segment_responses.allocated_campaign_cost,
        segment_responses.attributed_revenue,
        segment_responses.treated_customer_count,
        segment_responses.treated_purchaser_count,
        segment_responses.control_purchaser_count,
        psi_terms.segment_id >= {{ segment_ids.first_cluster }}
        and psi_terms.customer_count > 0 as is_behavioural_segment,
        psi_terms.segment_id >= {{ segment_ids.first_cluster }}
        and psi_terms.customer_count > 0
        and (
            psi_terms.active_customer_count = 0
            or psi_terms.ordering_customer_count < {{ stale_min_share }} * run_windows.run_ordering_customer_count
        ) as is_stale
    from psi_terms
    inner join run_windows
        on psi_terms.run_number = run_windows.run_number
    left join movements
        on
            psi_terms.run_number = movements.run_number
            and psi_terms.segment_id = movements.segment_id
    left join first_appearances
        on psi_terms.segment_id = first_appearances.segment_id
    left join centroid_shifts
        on
            run_windows.model_version = centroid_shifts.model_version
            and run_windows.previous_model_version = centroid_shifts.previous_model_version
            and psi_terms.segment_id = centroid_shifts.segment_id
    left join run_silhouettes
        on
            run_windows.as_of_date = run_silhouettes.as_of_date
            and run_windows.model_version = run_silhouettes.model_version
            and psi_terms.segment_id = run_silhouettes.segment_id
    left join segment_responses
        on
            psi_terms.run_number = segment_responses.run_number
            and psi_terms.segment_id = segment_responses.segment_id
),

run_totals as (
    select
        *,
        -- exact: the PSI is compared with the refit threshold, so no last-digit drift
        {{ exact_sum('psi_contribution', over='partition by run_number') }} as psi,
        cast(sum(changed_customer_count) over (partition by run_number) as {{ type_double() }})
        / nullif(sum(returning_customer_count) over (partition by run_number), 0) as run_changed_customer_share,
        cast(sum(case when is_stale then 1 else 0 end) over (partition by run_number) as {{ type_double() }})
        / nullif(sum(case when is_behavioural_segment then 1 else 0 end) over (partition by run_number), 0)
            as stale_segment_share,
        max(segment_row_model_silhouette) over (partition by run_number) as model_silhouette
    from combined
),

final as (
    select
        -- ids
        {{ dbt.concat([
            dbt.cast('as_of_date', dbt.type_string()), "'|'",
            dbt.cast('model_version', dbt.type_string()), "'|'",
            dbt.cast('segment_id', dbt.type_string()),
        ]) }} as drift_id,
        segment_id,
        model_version,
        previous_model_version,

        -- strings
        segment_name,

        -- numerics: size and distribution shift
        run_number,
        customer_count,
        customer_share,
        previous_customer_share,
        psi_contribution,
        psi,
        case
            when not is_behavioural_segment then null
            when previous_model_version is null then null
            when is_same_model_as_previous_run then 0.0
            else centroid_shift_between_versions
        end as centroid_shift,
        silhouette,
        model_silhouette,
        {{ ratio('changed_customer_count', 'returning_customer_count') }} as changed_customer_share,
        run_changed_customer_share,

        -- numerics: age, staleness, churn
        run_number - first_run_number as segment_age_runs,
        {{ dbt.datediff('first_as_of_date', 'as_of_date', 'day') }} as segment_age_days,  -- noqa: LT05
        stale_segment_share,
        {{ ratio('churned_customer_count', 'ordering_customer_count') }} as churn_rate,
        control_customer_count,
        -- the counts behind the purchase rates, which rpt_segment_campaign_lift tests
        cast(coalesce(treated_customer_count, 0) as {{ dbt.type_bigint() }}) as treated_customer_count,

        -- numerics: response while the run was live (null without a window)
        case when has_response_window then touched_customer_count end as touched_customer_count,
        case when has_response_window then attributed_conversion_count end as attributed_conversion_count,
        case
            when has_response_window then {{ ratio('responding_customer_count', 'touched_customer_count') }}
        end as campaign_response_rate,
        case when has_response_window then allocated_campaign_cost end as allocated_campaign_cost,
        case when has_response_window then attributed_revenue end as attributed_revenue,
        case
            when has_response_window then attributed_revenue / nullif(allocated_campaign_cost, 0)
        end as roas,
        case
            when has_response_window then cast(treated_purchaser_count as {{ dbt.type_bigint() }})
        end as treated_purchaser_count,
        case
            when has_response_window then cast(control_purchaser_count as {{ dbt.type_bigint() }})
        end as control_purchaser_count,
        case
            when has_response_window then {{ ratio('treated_purchaser_count', 'treated_customer_count') }}
        end as treated_purchase_rate,
        case
            when has_response_window
                then {{ ratio('control_purchaser_count', 'customer_count - treated_customer_count') }}
        end as control_purchase_rate,
        case
            when has_response_window
                then
                    {{ ratio('treated_purchaser_count', 'treated_customer_count') }}
                    - {{ ratio('control_purchaser_count', 'customer_count - treated_customer_count') }}
        end as purchase_rate_lift,

        -- booleans
        is_latest_run,
        is_same_model_as_previous_run,
        is_stale,
        coalesce(
            is_latest_run and is_same_model_as_previous_run and psi > {{ psi_warn }}, false
        ) as is_refit_recommended,

        -- dates
        as_of_date,
        previous_as_of_date,
        first_as_of_date,
        cast(window_end_at as date) as response_window_end_date

    from run_totals
)

select * from final
