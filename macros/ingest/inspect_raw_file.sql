{#-
    The verdict on one raw file (`custseg.raw_files.inspect_raw_file`) as a dict:
    `quarantine_reason` (null when readable) and `detail`, `read_path`, `read_encoding`,
    `delimiter`, `ragged_records`. Verdicts and UTF-8 copies of Windows-1252 files are cached
    under `<target-path>/raw_file_cache`, keyed by the file's fingerprint.

    Dispatched: DuckDB calls the Python function through SQL (the dbt-duckdb plugin
    `custseg.duckdb_plugin`) and also asks for the ragged records, which its reader skips;
    Spark calls it through our adapter (`adapter.inspect_raw_file`), and its reader marks
    ragged records itself.
-#}
{% macro inspect_raw_file(file, raw_format) -%}
    {{ return(adapter.dispatch('inspect_raw_file', 'customer_segments')(file, raw_format)) }}
{%- endmacro %}


{% macro raw_file_cache_dir() -%}
    {{ return((flags.TARGET_PATH or 'target') ~ '/raw_file_cache') }}
{%- endmacro %}


{% macro duckdb__inspect_raw_file(file, raw_format) -%}
    {%- set arguments = [file.path, file.format, raw_format.encoding, raw_format.delimiter, raw_file_cache_dir()] -%}
    {%- set literals = [] -%}
    {%- for argument in arguments -%}
        {%- do literals.append("null" if argument is none else "'" ~ (argument | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {%- set verdict = run_query(
        'select segments_inspect_raw_file(' ~ literals | join(', ') ~ ', true)'
    ).columns[0].values()[0] -%}
    {{ return(fromjson(verdict)) }}
{%- endmacro %}


{% macro spark__inspect_raw_file(file, raw_format) -%}
    {{ return(fromjson(adapter.inspect_raw_file(
        file.path, file.format, raw_format.encoding, raw_format.delimiter, raw_file_cache_dir()
    ))) }}
{%- endmacro %}
