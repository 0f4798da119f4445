{#-
    The raw text values of a row as one JSON text object, for the rejected-rows report.
    Keys are the raw column names; values are read from `prefix ~ name`. Columns listed in
    `masked_columns` become '***' when not blank, so the BI-facing report shows no
    personal data. Null values are kept as JSON nulls, and the text is compact
    (`{"a":"x","b":null}`) on every engine.
-#}
{% macro raw_values_json(column_names, prefix='', masked_columns=[]) -%}
    {{ return(adapter.dispatch('raw_values_json', 'customer_segments')(column_names, prefix, masked_columns)) }}
{%- endmacro %}

{% macro default__raw_values_json(column_names, prefix='', masked_columns=[]) -%}
    cast(json_object(
        {{- raw_values_pairs(column_names, prefix, masked_columns) }}
    ) as {{ dbt.type_string() }})
{%- endmacro %}

{#- Spark has no json_object: a struct of the same pairs, written with its null fields. -#}
{% macro spark__raw_values_json(column_names, prefix='', masked_columns=[]) -%}
    to_json(
        named_struct(
            {{- raw_values_pairs(column_names, prefix, masked_columns) }}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}
