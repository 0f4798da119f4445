{#-
    The raw input contract of one source table, read from its YAML declaration:
    {name, is_required_table, columns: [{name, is_optional}]}.
    A table is required when its source `meta.required` is true; a column may be absent
    from the files only when its `meta.optional` is true.
-#}
{% macro raw_table_contract(source_relation) -%}
    {%- set matches = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.identifier == source_relation.identifier and node.package_name == project_name -%}
            {%- do matches.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if matches | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            "raw_table_contract: expected exactly one source declaring table '"
            ~ source_relation.identifier ~ "', found " ~ (matches | length)
        ) }}
    {%- endif -%}
    {%- set node = matches[0] -%}
    {%- set columns = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do columns.append({
            'name': column.name | lower,
            'is_optional': column.meta.get('optional', false),
        }) -%}
    {%- endfor -%}
    {{ return({
        'name': node.identifier,
        'is_required_table': node.meta.get('required', false),
        'columns': columns,
    }) }}
{%- endmacro %}
