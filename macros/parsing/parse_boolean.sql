{#- true/false, yes/no, 1/0, y/n (any case, stray whitespace) to a boolean; anything else is null. -#}
{% macro parse_boolean(column_name) -%}
    case
        when lower(trim({{ column_name }})) in ('true', 'yes', '1', 'y') then true
        when lower(trim({{ column_name }})) in ('false', 'no', '0', 'n') then false
    end
{%- endmacro %}
