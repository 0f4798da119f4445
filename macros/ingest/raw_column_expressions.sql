{#-
    The select list that maps one raw file's columns onto the table's contract, shared by
    every engine's read_raw_table: each contract column as text, found by header name
    case-insensitively (`present`: lower-case name -> name in the file; extra columns are
    ignored), or null when the contract marks it optional. A missing required column stops
    the build naming the table, the file and the column.

    `normalize_line_breaks`: a CRLF inside a quoted field becomes LF, as Spark's reader gives
    it (DuckDB keeps the bytes), so both engines store the same text; asked for only for files
    with CRLF line ends, since it costs a replace per value.
-#}
{% macro raw_column_expressions(contract, file, present, normalize_line_breaks=false) -%}
    {%- set expressions = [] -%}
    {%- for column in contract.columns -%}
        {%- if column.name in present -%}
            {%- set value = 'cast(' ~ adapter.quote(present[column.name]) ~ ' as ' ~ dbt.type_string() ~ ')' -%}
            {%- if normalize_line_breaks -%}
                {%- set value = 'replace(' ~ value ~ ", chr(13) || chr(10), chr(10))" -%}
            {%- endif -%}
            {%- do expressions.append(value ~ ' as ' ~ column.name) -%}
        {%- elif column.is_optional -%}
            {%- do expressions.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ column.name) -%}
        {%- else -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ contract.name ~ "', file '" ~ file.path
                ~ "': required column '" ~ column.name ~ "' is missing. Columns found: "
                ~ (present.keys() | list | sort | join(', ')) ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(expressions) }}
{%- endmacro %}
