{#- Integer text to an integer; null when blank, unparseable or fractional (read with the table's declared decimal separator, as parse_amount). -#}
{% macro parse_integer(column_name, raw_format=none) -%}
    {%- set raw_format = raw_format or raw_file_format() -%}
    {%- if raw_format.decimal_separator == ',' -%}
        {%- set integer_text = "replace(trim(" ~ column_name ~ "), '.', '')" -%}
    {%- else -%}
        {%- set integer_text = 'trim(' ~ column_name ~ ')' -%}
    {%- endif -%}
    case
        when {{ parse_amount(column_name, raw_format) }} = floor({{ parse_amount(column_name, raw_format) }})
            then {{ dbt.safe_cast(integer_text, dbt.type_bigint()) }}
    end
{%- endmacro %}
