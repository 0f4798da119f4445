{#-
    The select list that maps one raw file's columns onto the table's contract, shared by
    every engine's read_raw_table: each contract column as text, found by header name
    case-insensitively (`present`: lower-case name -> name in the file; extra columns are
    ignored), or null when the contract marks it optional. A missing required column stops
    the build naming the table, the file and the column.
-#}
{% macro raw_column_expressions(contract, file, present) -%}
    {%- set expressions = [] -%}
    {%- for column in contract.columns -%}
        {%- if column.name in present -%}
            {%- do expressions.append(
                'cast(' ~ adapter.quote(present[column.name]) ~ ' as ' ~ dbt.type_string() ~ ') as '
                ~ column.name
            ) -%}
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
