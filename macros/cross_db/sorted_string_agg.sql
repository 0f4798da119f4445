{#-
    The text values of `expression` in a group, sorted, joined with `separator` (a SQL text
    literal): the same string on every engine. dbt's `listagg` drops its order on Spark.
-#}
{% macro sorted_string_agg(expression, separator) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'customer_segments')(expression, separator)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expression, separator) -%}
    array_join(array_sort(collect_list({{ expression }})), {{ separator }})
{%- endmacro %}
