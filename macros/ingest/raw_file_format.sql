{#-
    How the files of raw table `table_name` are written, from var `raw_file_formats`
    (`{<table>: {delimiter, decimal_separator, date_order, timezone, encoding}}`), each
    setting defaulting to today's reading: delimiter detected from the header line, decimal
    point, ISO 8601 dates (`YMD`), offset-less times in UTC, UTF-8. Without `table_name`, the
    table that the current `base_` model validates (validated_source_tables), so the parsing
    macros follow the declaration of the table they parse. An unknown table, setting or value
    stops the build naming it and what is allowed.
-#}
{% macro raw_file_format(table_name=none) -%}
    {%- set allowed = {
        'delimiter': none,
        'decimal_separator': ['.', ','],
        'date_order': ['YMD', 'DMY', 'MDY'],
        'timezone': none,
        'encoding': ['utf-8', 'latin-1', 'windows-1252'],
    } -%}
    {%- set declared_formats = var('raw_file_formats') or {} -%}
    {%- set tables = validated_source_tables() -%}
    {%- if table_name is none -%}
        {%- set matches = tables | selectattr(1, 'equalto', model.name) | map(attribute=0) | list -%}
        {%- set table_name = matches[0] if matches else none -%}
    {%- endif -%}
    {%- for name in declared_formats -%}
        {%- if name not in tables | map(attribute=0) | list -%}
            {{ exceptions.raise_compiler_error(
                "var raw_file_formats: unknown raw table '" ~ name ~ "'. Declare one of: "
                ~ (tables | map(attribute=0) | join(', ')) ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set declared = declared_formats.get(table_name, {}) if table_name else {} -%}
    {%- for setting, value in declared.items() -%}
        {%- if setting not in allowed -%}
            {{ exceptions.raise_compiler_error(
                "var raw_file_formats, table '" ~ table_name ~ "': unknown setting '" ~ setting
                ~ "'. Settings: " ~ (allowed.keys() | sort | join(', ')) ~ "."
            ) }}
        {%- elif allowed[setting] is not none and value not in allowed[setting] -%}
            {{ exceptions.raise_compiler_error(
                "var raw_file_formats, table '" ~ table_name ~ "': " ~ setting ~ " '" ~ value
                ~ "' is not supported. Use one of: " ~ (allowed[setting] | join(', ')) ~ "."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if declared.get('delimiter') is not none and declared.get('delimiter') | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "var raw_file_formats, table '" ~ table_name ~ "': delimiter '"
            ~ declared.get('delimiter') ~ "' must be one character."
        ) }}
    {%- endif -%}
    {{ return({
        'delimiter': declared.get('delimiter'),
        'decimal_separator': declared.get('decimal_separator', '.'),
        'date_order': declared.get('date_order', 'YMD'),
        'timezone': declared.get('timezone', 'UTC'),
        'encoding': declared.get('encoding', 'utf-8'),
    }) }}
{%- endmacro %}
