{#- A typed, empty relation with the columns of a raw table: what a missing optional table reads as. -#}
{% macro empty_raw_table(contract) -%}
    select
        cast(null as {{ dbt.type_string() }}) as _source_file,
        cast(null as {{ dbt.type_bigint() }}) as _source_row_number,
        {%- for column in contract.columns %}
        cast(null as {{ dbt.type_string() }}) as {{ column.name }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as _read_error
    where 1 = 0
{%- endmacro %}
