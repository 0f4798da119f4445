{#- The Spark type for a DuckDB type name declared in a model contract (see spark__get_empty_schema_sql). -#}
{% macro spark_contract_type(data_type) -%}
    {%- set translations = {
        'varchar': 'string',
        'text': 'string',
        'hugeint': 'bigint',
        'ubigint': 'decimal(20,0)',
        'uinteger': 'bigint',
        'usmallint': 'int',
        'utinyint': 'smallint',
    } -%}
    {{ return(translations.get(data_type | trim | lower, data_type)) }}
{%- endmacro %}
