{#-
    The sum of a numeric expression that does not depend on the order the rows arrive in, as
    double precision. A plain `sum` over floating-point values adds them in whatever order
    the engine's threads deliver them, so two builds of the same data can differ in the last
    digits, and a z-score, a PSI or a segment name computed from them can in principle
    change. Each value is rounded to `scale` decimal places and added as an exact decimal;
    a total beyond 38 - `scale` integer digits makes the engine raise an overflow error
    rather than return a wrong number. With `over`, a window sum over that window clause.
-#}
{% macro exact_sum(expression, scale=12, over=none) -%}
    cast(
        sum(cast({{ expression }} as {{ exact_decimal_type(scale) }}))
        {%- if over %} over ({{ over }}){% endif %}
        as {{ type_double() }}
    )
{%- endmacro %}

{#- The exact decimal type of `exact_sum`: 38 digits, `scale` of them after the point. -#}
{% macro exact_decimal_type(scale) -%}
    {{ return(adapter.dispatch('exact_decimal_type', 'customer_segments')(scale)) }}
{%- endmacro %}

{% macro default__exact_decimal_type(scale) -%}
    decimal(38, {{ scale }})
{%- endmacro %}

{#- BigQuery's `decimal` (numeric) keeps at most 9 decimals; `bignumeric` keeps 38. -#}
{% macro bigquery__exact_decimal_type(scale) -%}
    bignumeric(38, {{ scale }})
{%- endmacro %}
