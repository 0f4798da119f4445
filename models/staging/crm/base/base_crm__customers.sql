{#-
    Validation step for raw crm_customers. Every version of a customer is kept (the key is
    customer_id + updated_at) so that later models can take the version valid on a day.
    Rejected rows keep their raw values twice: in full for the restricted report, and
    with personal data masked for the BI-facing one.
-#}

{#- Rows rejected as "future" are rechecked on every build (materialization cached_table). -#}
{{ config(
    cache_recheck="(reject_reason = 'future_timestamp' and not (coalesce(updated_at > __run_started_at__, false) or coalesce(signup_at > __run_started_at__, false))) or (reject_reason = 'out_of_range' and birth_date >= cast('1900-01-01' as date) and birth_date <= cast(__run_started_at__ as date))"
) }}

{%- set raw_columns = [
    'customer_id', 'email', 'first_name', 'last_name', 'phone', 'country_code', 'city',
    'birth_date', 'signup_at', 'marketing_opt_in', 'updated_at',
] %}
{%- set pii_columns = ['email', 'first_name', 'last_name', 'phone', 'birth_date'] %}

with

source as {{ cte_not_materialized() }} (
    {{ read_raw_table(source('crm', 'crm_customers')) }}
),

erasure_requests as {{ cte_not_materialized() }} (
    select * from {{ ref('erasure_requests') }}
),

erased as {{ cte_not_materialized() }} (
    -- Rows of customers on the erasure list keep only their place (rejected as `erased`).
    {{ erased_rows_masked('source', 'erasure_requests', raw_columns) }}
),

country_codes as {{ cte_not_materialized() }} (
    select * from {{ ref('country_codes') }}
),

parsed as {{ cte_not_materialized() }} (
    select
        -- lineage
        _source_file as source_file,
        _source_row_number as source_row_number,
        _read_error as read_error,
        _is_erased as is_erased,

        -- ids
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        lower({{ clean_text('email') }}) as email_cleaned,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ clean_text('phone') }} as phone,
        upper({{ clean_text('country_code') }}) as country_code_cleaned,
        {{ clean_text('city') }} as city,

        -- booleans
        {{ parse_boolean('marketing_opt_in') }} as is_marketing_opt_in,

        -- dates and timestamps
        {{ parse_date('birth_date') }} as birth_date,
        {{ parse_timestamp_utc('signup_at') }} as signup_at,
        {{ parse_timestamp_utc('updated_at') }} as updated_at,

        -- checks on the raw text
        {{ is_blank('customer_id') }} as is_key_missing,
        {{ is_blank('signup_at') }} as is_signup_blank,
        {{ is_blank('birth_date') }} as is_birth_date_blank,

        -- raw text, kept for the rejected-rows report
        {%- for column in raw_columns %}
            {{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from erased
),

looked_up as {{ cte_not_materialized() }} (
    select
        parsed.*,
        coalesce(country_codes.country_code, 'unknown') as country_code,
        case
            when parsed.email_cleaned like '%_@_%._%' then parsed.email_cleaned
        end as email
    from parsed
    left join country_codes
        on parsed.country_code_cleaned = country_codes.country_code
),

validated as {{ cte_not_materialized() }} (
    select
        *,
        case
            when read_error is not null then read_error
            when is_erased then 'erased'
            when is_key_missing then 'missing_key'
            when updated_at is null then 'unparseable_timestamp'
            when signup_at is null and not is_signup_blank then 'unparseable_timestamp'
            when birth_date is null and not is_birth_date_blank then 'unparseable_timestamp'
            when updated_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when signup_at > {{ run_started_at_utc() }} then 'future_timestamp'
            when birth_date < cast('1900-01-01' as date) then 'out_of_range'
            when birth_date > cast({{ run_started_at_utc() }} as date) then 'out_of_range'
        end as validation_reason
    from looked_up
),

deduplicated as {{ cte_not_materialized() }} (
    {{ rank_row_versions(
        relation='validated',
        key_columns=['customer_id', 'updated_at'],
        compared_columns=['email', 'first_name', 'last_name', 'phone', 'country_code', 'city',
                          'birth_date', 'signup_at', 'is_marketing_opt_in'],
    ) }}
),

final as {{ cte_not_materialized() }} (
    select
        -- ids
        {{ dbt.concat(['customer_id', "'|'", dbt.cast('updated_at', dbt.type_string())]) }}
            as customer_version_id,
        customer_id,

        -- strings
        email,
        first_name,
        last_name,
        phone,
        country_code,
        city,

        -- booleans
        is_marketing_opt_in,
        email_cleaned is not null and email is null as is_email_invalid,

        -- dates and timestamps
        birth_date,
        signup_at,
        updated_at,

        -- validation
        source_file,
        source_row_number,
        reject_reason,
        case
            when country_code = 'unknown' and country_code_cleaned is not null then country_code_cleaned
        end as unmapped_country_code,
        case
            when reject_reason is not null then {{ raw_values_json(raw_columns, prefix='raw_') }}
        end as raw_values,
        case
            when reject_reason is not null
                then {{ raw_values_json(raw_columns, prefix='raw_', masked_columns=pii_columns) }}
        end as raw_values_masked

    from deduplicated
)

select * from final
