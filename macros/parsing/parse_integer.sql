{#- Integer text to an integer; null when blank, unparseable or fractional. -#}
{% macro parse_integer(column_name) -%}
    case
        when {{ parse_amount(column_name) }} = floor({{ parse_amount(column_name) }})
            then {{ dbt.safe_cast('trim(' ~ column_name ~ ')', dbt.type_bigint()) }}
    end
{%- endmacro %}
