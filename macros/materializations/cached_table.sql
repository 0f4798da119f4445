{#-
    `cached_table`: a table that is rebuilt only when its inputs changed.

    The `base_` validation models parse every raw export file, and at a million customers
    writing those tables is most of a build. A build over the same files (a daily re-score)
    would rewrite identical rows. This materialization keeps the existing table when the
    fingerprint of its inputs equals the one stored when it was built:

    - the compiled SQL, with the run's start time masked (so code, macro and var changes,
      and the list of raw files, all count), and the model's enforced contract (column
      types and constraints: dbt's `table` materialization, which this one calls, checks
      the columns against it and creates the table with its constraints);
    - size and modification time of every raw file the SQL reads (`read_csv('…')`,
      `read_parquet('…')`), and the md5 of its content when it is at most 64 MB;
    - the content of every seed it refs, and the stored fingerprint and build time of every
      model it refs (a model without one forces a rebuild; an upstream table that was
      rebuilt, even to the same fingerprint, rebuilds this one).

    Rows rejected as `future_timestamp` depend on the run's start time, so a model can name,
    in config `cache_recheck`, a condition over its own rows with the placeholder
    `__run_started_at__`; if any stored row meets it (a rejected "future" row that is no
    longer in the future), the table is rebuilt.

    Fingerprints live in `<schema>.cached_table_fingerprints` (relation, fingerprint,
    built_at), created by `cached_table_create_registries` when a run starts. `--full-refresh`, or deleting that table, rebuilds everything.

    Other adapters fall back to their plain `table` materialization (no caching): on Spark,
    dbt-spark's (Parquet, contract checked, constraints verified by spark__persist_constraints).
    The fingerprint reads raw files with DuckDB's `read_blob`; a Spark version would need a
    file listing with sizes and times, and Spark rebuilds are cheap enough at this scale.
-#}

{% materialization cached_table, adapter='duckdb' %}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set fingerprint = cached_table_fingerprint(sql) -%}

    {%- if existing_relation is not none and not should_full_refresh() -%}
        {%- set stored = cached_table_stored_fingerprint(this) -%}
        {%- if stored == fingerprint and not cached_table_needs_recheck(this) -%}
            {{ log('cached_table ' ~ this ~ ': inputs unchanged since the last build, table kept', info=True) }}
            {%- call noop_statement('main', 'KEPT (inputs unchanged)') -%}{%- endcall -%}
            {{ return({'relations': [this]}) }}
        {%- endif -%}
    {%- endif -%}

    {%- set result = materialization_table_duckdb() -%}
    {%- do cached_table_store_fingerprint(this, fingerprint) -%}
    {{ return(result) }}
{% endmaterialization %}

{% materialization cached_table, adapter='spark' %}
    {{ return(materialization_table_spark()) }}
{% endmaterialization %}

{% materialization cached_table, default %}
    {{ return(materialization_table_default()) }}
{% endmaterialization %}


{% macro cached_table_fingerprint(compiled_sql) -%}
    {%- set run_literal = run_started_at.strftime("%Y-%m-%d %H:%M:%S") -%}
    {%- set parts = [compiled_sql | replace(run_literal, '__run_started_at__')] -%}

    {#- Raw files read by the SQL: their size and modification time. -#}
    {%- set paths = modules.re.findall("read_(?:csv|parquet)\\('((?:[^']|'')*)'", compiled_sql) -%}
    {%- if paths | length > 0 -%}
        {%- set quoted = [] -%}
        {%- for path in paths | unique | sort -%}
            {%- do quoted.append("'" ~ path ~ "'") -%}
        {%- endfor -%}
        {%- set stats = run_query(
            'select filename, size, cast(last_modified as varchar) from read_blob(['
            ~ quoted | join(', ') ~ ']) order by filename'
        ) -%}
        {%- set small_files = [] -%}
        {%- for row in stats.rows -%}
            {%- do parts.append(row | join('|')) -%}
            {%- if row[1] <= 67108864 -%}
                {%- do small_files.append("'" ~ (row[0] | replace("'", "''")) ~ "'") -%}
            {%- endif -%}
        {%- endfor -%}
        {#- Modification times have one-second resolution, so files up to 64 MB are also
            hashed: a small file rewritten within the same second is still noticed. -#}
        {%- if small_files | length > 0 -%}
            {%- set hashes = run_query(
                'select filename, md5(content) from read_blob([' ~ small_files | join(', ')
                ~ ']) order by filename'
            ) -%}
            {%- for row in hashes.rows -%}
                {%- do parts.append(row | join('|')) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}

    {#- An enforced contract shapes the table (column types, constraints): a changed
        contract rebuilds it, so the constraints always hold for the stored rows. -#}
    {%- if config.get('contract').enforced -%}
        {%- set contract = [] -%}
        {%- for column in model.columns.values() -%}
            {%- do contract.append([column.name, column.data_type, column.constraints]) -%}
        {%- endfor -%}
        {%- do parts.append(tojson(contract) ~ tojson(model.constraints)) -%}
    {%- endif -%}

    {#- Refs: seed content, or the stored fingerprint of a model. Sources are the raw files. -#}
    {%- for unique_id in model.depends_on.nodes | sort if unique_id in graph.nodes -%}
        {%- set node = graph.nodes[unique_id] -%}
        {%- set relation = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        ) -%}
        {%- if node.resource_type == 'seed' -%}
            {%- set content = run_query(
                'select md5(coalesce(string_agg(cast(t as varchar), chr(10) order by cast(t as varchar)), \'\')) from '
                ~ relation ~ ' as t'
            ) -%}
            {%- do parts.append(unique_id ~ '|' ~ content.rows[0][0]) -%}
        {%- else -%}
            {#- With its build time: an upstream table rebuilt by a recheck keeps its
                fingerprint but may have new content. -#}
            {%- set upstream = cached_table_stored_fingerprint(relation, with_build_time=true) -%}
            {%- do parts.append(unique_id ~ '|' ~ (upstream or ('unknown at ' ~ run_started_at))) -%}
        {%- endif -%}
    {%- endfor -%}

    {{ return(local_md5(parts | join('\n'))) }}
{%- endmacro %}


{% macro cached_table_registry(relation) -%}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='cached_table_fingerprints'
    )) }}
{%- endmacro %}


{% macro cached_table_stored_fingerprint(relation, with_build_time=false) -%}
    {%- set registry = cached_table_registry(relation) -%}
    {#- Asked of the catalog, not dbt's relation cache: the registry is created mid-run. -#}
    {%- set exists = run_query(
        "select count(*) from information_schema.tables where table_catalog = '" ~ registry.database
        ~ "' and table_schema = '" ~ registry.schema ~ "' and table_name = '" ~ registry.identifier ~ "'"
    ) -%}
    {%- if exists.rows[0][0] == 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = "fingerprint || '@' || cast(built_at as varchar)" if with_build_time else 'fingerprint' -%}
    {%- set result = run_query(
        'select ' ~ value ~ ' from ' ~ registry ~ " where relation_name = '" ~ relation.identifier ~ "'"
    ) -%}
    {{ return(result.rows[0][0] if result.rows | length > 0 else none) }}
{%- endmacro %}


{% macro cached_table_needs_recheck(relation) -%}
    {%- set condition = config.get('cache_recheck') -%}
    {%- if not condition -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query(
        'select count(*) from ' ~ relation ~ ' where '
        ~ condition | replace('__run_started_at__', run_started_at_utc())
    ) -%}
    {%- if result.rows[0][0] > 0 -%}
        {{ log('cached_table ' ~ relation ~ ': ' ~ result.rows[0][0]
            ~ ' stored rows meet cache_recheck, rebuilding', info=True) }}
    {%- endif -%}
    {{ return(result.rows[0][0] > 0) }}
{%- endmacro %}


{#-
    Run once at the start of every invocation (on-run-start in dbt_project.yml): create the
    registry of each schema that holds a cached_table model, so that models built at the
    same time on different dbt threads never race to create it. Only DuckDB caches; on other
    adapters (`default__`) cached_table is a plain table and there is no registry to create.
-#}
{% macro cached_table_create_registries() -%}
    {{ return(adapter.dispatch('cached_table_create_registries', 'customer_segments')()) }}
{%- endmacro %}

{% macro default__cached_table_create_registries() -%}
    select 1 as no_registry_to_create
{%- endmacro %}

{% macro duckdb__cached_table_create_registries() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.resource_type == 'model' and node.config.materialized == 'cached_table' -%}
                {%- set key = (node.database, node.schema) -%}
                {%- if key not in schemas -%}{%- do schemas.append(key) -%}{%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for database, schema in schemas -%}
            {%- set registry = api.Relation.create(
                database=database, schema=schema, identifier='cached_table_fingerprints'
            ) -%}
            {%- do run_query('create schema if not exists ' ~ registry.without_identifier()) -%}
            {%- do run_query(
                'create table if not exists ' ~ registry
                ~ ' (relation_name varchar, fingerprint varchar, built_at timestamp)'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro cached_table_store_fingerprint(relation, fingerprint) -%}
    {%- set registry = cached_table_registry(relation) -%}
    {%- call statement('cached_table_store_fingerprint') -%}
        delete from {{ registry }} where relation_name = '{{ relation.identifier }}';
        insert into {{ registry }}
        values ('{{ relation.identifier }}', '{{ fingerprint }}', {{ run_started_at_utc() }});
    {%- endcall -%}
    {%- do adapter.commit() -%}
{%- endmacro %}
