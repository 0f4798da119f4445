{#-
    A hash of a row's compared values, used only to tell a `duplicate` (same values as the
    winning row of its key) from a `superseded` row. Dispatched: DuckDB's native 64-bit
    `hash()` is several times faster than md5 over text on millions of rows.
-#}
{% macro row_version_hash(column_names) -%}
    {{ return(adapter.dispatch('row_version_hash', 'customer_segments')(column_names)) }}
{%- endmacro %}

{% macro default__row_version_hash(column_names) -%}
    {%- set parts = [] -%}
    {%- for column in column_names -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__row_version_hash(column_names) -%}
    hash({{ column_names | join(', ') }})
{%- endmacro %}
