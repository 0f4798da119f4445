{#-
    The files that hold raw table `table_name` under `raw_dir`, sorted by their path
    relative to `raw_dir` (the order that decides which duplicate row wins).
    A table is `<table>.csv`, `<table>.csv.gz`, `<table>.parquet`, or a folder `<table>/`
    of such files. Returns a list of {path, relative_path, format}.
-#}
{% macro list_raw_files(raw_dir, table_name) -%}
    {{ return(adapter.dispatch('list_raw_files', 'customer_segments')(raw_dir, table_name)) }}
{%- endmacro %}


{% macro duckdb__list_raw_files(raw_dir, table_name) -%}
    {%- set base = raw_dir.rstrip('/') -%}
    {%- set patterns = [
        base ~ '/' ~ table_name ~ '.csv',
        base ~ '/' ~ table_name ~ '.csv.gz',
        base ~ '/' ~ table_name ~ '.parquet',
        base ~ '/' ~ table_name ~ '/*.csv',
        base ~ '/' ~ table_name ~ '/*.csv.gz',
        base ~ '/' ~ table_name ~ '/*.parquet',
    ] -%}
    {%- set globs = [] -%}
    {%- for pattern in patterns -%}
        {%- do globs.append("select file from glob('" ~ pattern | replace("'", "''") ~ "')") -%}
    {%- endfor -%}
    {%- set result = run_query(globs | join(' union all ') ~ ' order by file') -%}
    {%- set files = [] -%}
    {%- for row in result.rows -%}
        {%- set path = row[0] -%}
        {%- do files.append({
            'path': path,
            'relative_path': path[(base | length) + 1:] if path.startswith(base ~ '/') else path,
            'format': 'parquet' if path.endswith('.parquet') else 'csv',
        }) -%}
    {%- endfor -%}
    {{ return(files) }}
{%- endmacro %}


{#-
    On Spark the folder is listed where dbt runs (our adapter's `list_files`), not by Spark's
    `binaryFile` source, which leaves out 0-byte files: the build must see them to quarantine
    them, and the files are inspected there anyway (inspect_raw_file). Paths are absolute, so
    executors in other working folders find them; a cluster needs the raw folder at the same
    path on every machine.
-#}
{% macro spark__list_raw_files(raw_dir, table_name) -%}
    {%- set base = raw_dir.rstrip('/') -%}
    {%- set pattern = '^' ~ modules.re.escape(table_name)
        ~ '(\\.csv|\\.csv\\.gz|\\.parquet|/[^/]+\\.(csv|csv\\.gz|parquet))$' -%}
    {%- set files = [] -%}
    {%- for path, relative_path in adapter.list_files(base) -%}
        {%- if modules.re.match(pattern, relative_path) -%}
            {%- do files.append({
                'path': path,
                'relative_path': relative_path,
                'format': 'parquet' if path.endswith('.parquet') else 'csv',
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(files | sort(attribute='relative_path')) }}
{%- endmacro %}
