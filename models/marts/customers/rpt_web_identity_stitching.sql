{#-
    One row per build: how many anonymous_ids seen before the as-of date were stitched to a
    customer, how many carried no customer_id, and how many were left unstitched because
    they carried more than one (docs block `web_identity_stitching`).
-#}

with

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

anonymous_ids as (
    select * from {{ ref('int_anonymous_ids_stitched') }}
),

counted as (
    select
        count(*) as anonymous_id_count,
        sum(case when is_stitched then 1 else 0 end) as stitched_anonymous_id_count,
        sum(case when is_ambiguous then 1 else 0 end) as ambiguous_anonymous_id_count,
        sum(case when customer_id_count = 0 then 1 else 0 end) as unidentified_anonymous_id_count,
        count(distinct customer_id) as stitched_customer_count
    from anonymous_ids
),

final as (
    select
        -- dates
        as_of.as_of_date,

        -- numerics
        cast(counted.anonymous_id_count as {{ dbt.type_bigint() }}) as anonymous_id_count,
        cast(coalesce(counted.stitched_anonymous_id_count, 0) as {{ dbt.type_bigint() }})
            as stitched_anonymous_id_count,
        cast(coalesce(counted.ambiguous_anonymous_id_count, 0) as {{ dbt.type_bigint() }})
            as ambiguous_anonymous_id_count,
        cast(coalesce(counted.unidentified_anonymous_id_count, 0) as {{ dbt.type_bigint() }})
            as unidentified_anonymous_id_count,
        cast(counted.stitched_customer_count as {{ dbt.type_bigint() }}) as stitched_customer_count

    from counted
    cross join as_of
)

select * from final
