{#-
    The relations a publication copies: every built model, seed or snapshot of this project
    in schema `marts` (schema `restricted`, staging and intermediate are never published).
-#}
{% macro publication_relations() -%}
    {%- set relations = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id')
        if node.resource_type in ('model', 'seed', 'snapshot') and node.schema == 'marts'
        and node.config.materialized != 'ephemeral' -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias or node.name) -%}
        {%- if relation is not none -%}
            {%- do relations.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(relations) }}
{%- endmacro %}
