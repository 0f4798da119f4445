{#-
    Numeric text to a number; null when blank or unparseable (the caller decides whether that
    rejects the row). With decimal separator `,` (declared per table in var
    `raw_file_formats`; raw_file_format() of the current model when `raw_format` is not
    given), `1.234,56` and `1234,56` are 1234.56, and a value whose dots are not thousands
    groups (`1.23`) is unparseable rather than silently a hundred times too large.
-#}
{% macro parse_amount(column_name, raw_format=none) -%}
    {%- set raw_format = raw_format or raw_file_format() -%}
    {%- if raw_format.decimal_separator == ',' -%}
        case
            when {{ matches_pattern(
                'trim(' ~ column_name ~ ')', '-?([0-9]{1,3}([.][0-9]{3})+|[0-9]+)(,[0-9]+)?'
            ) }}
                then {{ dbt.safe_cast(
                    "replace(replace(trim(" ~ column_name ~ "), '.', ''), ',', '.')",
                    dbt.type_numeric(),
                ) }}
        end
    {%- else -%}
        {{ dbt.safe_cast('trim(' ~ column_name ~ ')', dbt.type_numeric()) }}
    {%- endif -%}
{%- endmacro %}
