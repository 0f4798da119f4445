{#-
    The columns of one raw file as {lower-case trimmed name: name in the file}, from a
    `describe` statement (the first result column is the column name on every engine), so
    that headers match the contract case-insensitively.
-#}
{% macro raw_file_columns(describe_sql) -%}
    {%- set present = {} -%}
    {%- for row in run_query(describe_sql).rows -%}
        {%- do present.update({(row[0] | trim | lower): row[0]}) -%}
    {%- endfor -%}
    {{ return(present) }}
{%- endmacro %}
