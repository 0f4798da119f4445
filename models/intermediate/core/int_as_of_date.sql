{#-
    The one place that resolves the build's as-of date (exclusive): var `as_of_date`
    (YYYY-MM-DD) when set, else the day after the latest staged order or, if later, the
    date the latest dated drop of orders became known (macro `drop_known_date`: a monthly
    drop is known from the first day of the next month), so that a default build sees every
    drop. Every feature ignores data on or after it, and uses each order and ticket in the
    version known on it; Python models read it from here too.
-#}

{%- set as_of_var = var('as_of_date') %}
{%- if as_of_var is not none and not modules.re.match('^\\d{4}-\\d{2}-\\d{2}$', as_of_var | string) %}
    {{ exceptions.raise_compiler_error(
        "var as_of_date must be YYYY-MM-DD (for example 2026-01-01); got '" ~ as_of_var ~ "'"
    ) }}
{%- endif %}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

latest_order as (
    select
        max(ordered_date) as latest_order_date,
        max(valid_from_date) as latest_drop_known_date
    from orders
),

final as (
    select
        {% if as_of_var is not none -%}
            cast('{{ as_of_var }}' as date)
        {%- else -%}
            case
                when latest_drop_known_date > {{ dbt.dateadd('day', 1, 'latest_order_date') }}
                    then latest_drop_known_date
                else cast({{ dbt.dateadd('day', 1, 'latest_order_date') }} as date)
            end
        {%- endif %} as as_of_date,
        latest_order_date,
        {{ 'true' if as_of_var is not none else 'false' }} as is_set_by_var
    from latest_order
)

select * from final
