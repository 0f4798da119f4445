{#- The single value of a one-row, one-column query (a publication function's answer). -#}
{% macro publication_value(sql) -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}
