{#-
    Rows of raw table `contract` for records or files that could not be read: one per
    `[record_number, read_error]` of `errors`, from file `file_literal` (a quoted SQL
    literal), with every contract column null. Record number 0 stands for the whole file
    (a quarantined file). Plain SQL, the same on every engine.
-#}
{% macro raw_read_error_rows(contract, file_literal, errors) -%}
    {%- set rows = [] -%}
    {%- for record_number, read_error in errors -%}
        {%- do rows.append('(' ~ record_number ~ ", '" ~ read_error ~ "')") -%}
    {%- endfor -%}
    select
        {{ file_literal }} as _source_file,
        cast(read_errors.record_number as {{ dbt.type_bigint() }}) as _source_row_number,
        {%- for column in contract.columns %}
        cast(null as {{ dbt.type_string() }}) as {{ column.name }},
        {%- endfor %}
        read_errors.read_error as _read_error
    from (values {{ rows | join(', ') }}) as read_errors (record_number, read_error)
{%- endmacro %}
