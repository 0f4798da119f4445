{#- The built relation of model `model_name`, or none when it does not exist (yet). -#}
{% macro publication_model_relation(model_name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias or node.name)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
