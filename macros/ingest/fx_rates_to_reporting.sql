{#-
    A select over seed fx_rates giving, per currency, the rate to var `reporting_currency`
    and its validity [valid_from, valid_to). The first rate of a currency also covers all
    earlier dates; the last stays valid. The reporting currency itself always has rate 1,
    even when the seed does not list it, so data in one currency needs no rates at all.
-#}
{% macro fx_rates_to_reporting(fx_rates) -%}
    {%- set reporting_currency = var('reporting_currency') -%}
    select
        {{ fx_rates }}.currency_code,
        case
            when {{ fx_rates }}.rate_date = min({{ fx_rates }}.rate_date) over (
                partition by {{ fx_rates }}.currency_code
            )
                then cast('1900-01-01' as date)
            else {{ fx_rates }}.rate_date
        end as valid_from,
        coalesce(
            lead({{ fx_rates }}.rate_date) over (
                partition by {{ fx_rates }}.currency_code order by {{ fx_rates }}.rate_date
            ),
            cast('9999-12-31' as date)
        ) as valid_to,
        reporting_rates.units_per_eur / {{ fx_rates }}.units_per_eur as rate_to_reporting
    from {{ fx_rates }}
    inner join {{ fx_rates }} as reporting_rates
        on
            {{ fx_rates }}.rate_date = reporting_rates.rate_date
            and reporting_rates.currency_code = '{{ reporting_currency }}'
    where {{ fx_rates }}.currency_code <> '{{ reporting_currency }}'
    union all
    select
        '{{ reporting_currency }}' as currency_code,
        cast('1900-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        1.0 as rate_to_reporting
{%- endmacro %}
