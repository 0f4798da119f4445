{#-
    On-run-end of `dbt build` / `dbt run`: publish the build for BI tools and notebooks, or
    record that it failed (src/custseg/publication.py describes the published file, the
    export folders and their swap). `results` are dbt's node results of the invocation; any
    `error` or `fail` means the build failed and nothing new is published. An export folder
    is swapped in only when the model that writes it (config `published_exports`) ran in
    this invocation. Other commands (test, seed, show, ...) publish nothing.
-#}
{% macro publish_build(results) -%}
    {%- if not execute or flags.WHICH not in ('build', 'run') -%}
        {{ return('select 1 as nothing_to_publish') }}
    {%- endif -%}
    {%- set failed_nodes = [] -%}
    {%- set export_kinds = [] -%}
    {%- for result in results -%}
        {%- if result.status in ('error', 'fail') -%}
            {%- do failed_nodes.append(result.node.unique_id) -%}
        {%- elif result.status == 'success' and result.node.config.get('published_exports') -%}
            {%- do export_kinds.append(result.node.config.get('published_exports')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set version = run_started_at.strftime('%Y%m%dT%H%M%SZ') ~ '-' ~ invocation_id[:8] -%}
    {{ return(adapter.dispatch('publish_build', 'customer_segments')(failed_nodes, export_kinds, version)) }}
{%- endmacro %}


{% macro default__publish_build(failed_nodes, export_kinds, version) -%}
    {{ exceptions.raise_compiler_error(
        'publish_build has no implementation for adapter ' ~ adapter.type()
        ~ ': add a ' ~ adapter.type() ~ '__publish_build macro (macros/publication/).'
    ) }}
{%- endmacro %}


{#-
    DuckDB: the marts (schema `marts`) are copied as tables into a new file written with
    DuckDB 1.0 storage; views would point into the build's file, which readers never open.
    The failure path copies the published file and appends to its log, so its data stays.
-#}
{% macro duckdb__publish_build(failed_nodes, export_kinds, version) -%}
    {%- set next_db = 'segments_publication_next' -%}
    {%- set started = modules.datetime.datetime.now() -%}
    {%- set temporary = publication_value('select segments_publication_new_file()') -%}
    {%- set published = publication_value('select segments_publication_path()') -%}
    {%- if failed_nodes | length == 0 -%}
        {%- do run_query("attach '" ~ temporary ~ "' as " ~ next_db ~ " (storage_version 'v1.0.0')") -%}
        {%- for relation in publication_relations() -%}
            {%- do run_query('create schema if not exists ' ~ next_db ~ '.' ~ relation.schema) -%}
            {%- do run_query(
                'create table ' ~ next_db ~ '.' ~ relation.schema ~ '.' ~ adapter.quote(relation.identifier)
                ~ ' as select * from ' ~ relation
            ) -%}
        {%- endfor -%}
        {%- do publication_create_log(next_db, published) -%}
        {%- do run_query('create table ' ~ next_db ~ '.meta.raw_file_freshness as ' ~ raw_file_freshness_sql()) -%}
    {%- else -%}
        {%- set copied = publication_value("select segments_publication_copy_published('" ~ temporary ~ "')") -%}
        {%- set storage = '' if copied else " (storage_version 'v1.0.0')" -%}
        {%- do run_query("attach '" ~ temporary ~ "' as " ~ next_db ~ storage) -%}
        {%- if not copied -%}
            {%- do publication_create_log(next_db, none) -%}
        {%- endif -%}
    {%- endif -%}
    {%- do run_query(
        'insert into ' ~ next_db ~ '.meta.publication_log '
        ~ publication_log_row('published' if failed_nodes | length == 0 else 'failed', failed_nodes)
    ) -%}
    {%- do run_query('checkpoint ' ~ next_db) -%}
    {%- do run_query('detach ' ~ next_db) -%}
    {%- set copied_at = modules.datetime.datetime.now() -%}
    {%- do run_query("select segments_pause_point('publishing')") -%}
    {%- set swap_started = modules.datetime.datetime.now() -%}
    {%- if failed_nodes | length == 0 -%}
        {%- for kind in export_kinds -%}
            {%- do run_query("select segments_publication_swap_exports('" ~ kind ~ "', '" ~ version ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do run_query("select segments_publication_swap_file('" ~ temporary ~ "')") -%}
    {%- set timing = 'copy ' ~ '%.1f' | format((copied_at - started).total_seconds()) ~ ' s, swap '
        ~ '%.2f' | format((modules.datetime.datetime.now() - swap_started).total_seconds()) ~ ' s' -%}
    {%- if failed_nodes | length == 0 -%}
        {{ log('Published ' ~ published ~ ' (' ~ timing ~ '; exports swapped in: ' ~ (export_kinds | join(', ') or 'none') ~ ')', info=true) }}
    {%- else -%}
        {{ log('Build failed (' ~ failed_nodes | length ~ ' nodes): nothing new published; the failure is recorded in ' ~ published ~ ' meta.publication_log (' ~ timing ~ ')', info=true) }}
    {%- endif -%}
    {{ return('select 1 as published') }}
{%- endmacro %}


{#-
    Spark: BI reads the tables (no published DuckDB file). The export folders are staged and
    swapped in as on DuckDB, by the adapter on the driver (SparkSessionAdapter.publish_exports).
-#}
{% macro spark__publish_build(failed_nodes, export_kinds, version) -%}
    {%- if failed_nodes | length == 0 -%}
        {%- for kind in export_kinds -%}
            {{ log('Published the ' ~ kind ~ ' exports: ' ~ adapter.publish_exports(kind, version), info=true) }}
        {%- endfor -%}
    {%- else -%}
        {{ log('Build failed (' ~ failed_nodes | length ~ ' nodes): the staged exports are not published', info=true) }}
    {%- endif -%}
    {{ return('select 1 as published') }}
{%- endmacro %}
