{#-
    True when the whole of text `expression` matches regular expression `pattern` (write
    patterns without backslashes, e.g. `[0-9]` and `[.]`: Spark's string literals would eat
    them). Dispatched: DuckDB `regexp_full_match`, Spark `rlike` anchored at both ends.
-#}
{% macro matches_pattern(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern', 'customer_segments')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(expression, pattern) -%}
    regexp_like({{ expression }}, '^({{ pattern }})$')
{%- endmacro %}

{% macro duckdb__matches_pattern(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__matches_pattern(expression, pattern) -%}
    ({{ expression }} rlike '^({{ pattern }})$')
{%- endmacro %}
