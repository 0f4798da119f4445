{#-
    Pre-hook of a history model that keeps rows across builds (`fct_segment_history`):
    deletes the rows of customers on the erasure list (seed `erasure_requests`) from the
    existing table, so an erased customer leaves the past runs too, not only the new one.
    A first build (no table yet) has nothing to delete. The model declares its dependency
    on the seed (`-- depends_on:`), so the seed is loaded before the hook runs.
-#}
{% macro erase_from_run_history(relation, requests) -%}
    {{ return(adapter.dispatch('erase_from_run_history', 'customer_segments')(relation, requests)) }}
{%- endmacro %}

{% macro default__erase_from_run_history(relation, requests) -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is none -%}
        select 1 as nothing_to_erase
    {%- else -%}
        delete from {{ existing }}
        where {{ sha256_hex('customer_id') }} in (select customer_id_sha256 from {{ requests }})
    {%- endif -%}
{%- endmacro %}

{#-
    Spark keeps the history in Parquet, which can neither delete nor merge (both need
    Delta), and it cannot overwrite a partition while reading it in the same statement. Until
    the history can be rewritten there, a build on Spark stops, naming the relation and what
    to do, when the history holds a customer on the erasure list, rather than keep them.
-#}
{% macro spark__erase_from_run_history(relation, requests) -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is not none and execute -%}
        {%- set found = run_query(
            'select count(*) from ' ~ existing ~ ' where ' ~ sha256_hex('customer_id')
            ~ ' in (select customer_id_sha256 from ' ~ requests ~ ')') -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {{ exceptions.raise_compiler_error(
                existing ~ ' holds ' ~ found.columns[0].values()[0] ~ ' row(s) of customers on'
                ~ ' the erasure list (seed erasure_requests), and Spark cannot delete rows from its'
                ~ ' Parquet tables. Rebuild the history without them on DuckDB, or drop those'
                ~ ' rows by rewriting the table (create a copy without them, then swap), then'
                ~ ' rerun the build.'
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 as nothing_to_erase
{%- endmacro %}
