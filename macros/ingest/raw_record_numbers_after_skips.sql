{#-
    DuckDB: a select over the records that `reader` (a `read_csv` with `ignore_errors`) keeps
    of file `file_literal`, each with its true record number although the reader skipped
    `skipped_records` (`[record_number, reason]`). The k-th record kept is record k plus the
    number of skipped records before it: with the j-th skip (in file order) at record r, the
    records kept before it are g = r - j, so a kept record k follows every skip whose g < k.
    An ASOF join finds the last such skip (the largest g below k, carrying its j), which
    costs one sorted merge, not a comparison per skip and row.
-#}
{% macro raw_record_numbers_after_skips(file_literal, columns, reader, skipped_records) -%}
    {%- set kept_before = {} -%}
    {%- for record_number, reason in skipped_records | sort(attribute=0) -%}
        {%- do kept_before.update({record_number - loop.index: loop.index}) -%}
    {%- endfor -%}
    {%- set skips = [] -%}
    {%- for kept, skipped in kept_before.items() -%}
        {%- do skips.append('(' ~ kept ~ ', ' ~ skipped ~ ')') -%}
    {%- endfor -%}
    select
        {{ file_literal }} as _source_file,
        kept_records.kept_number + coalesce(skips.skipped_before, 0) as _source_row_number,
        {{ columns | join(', ') }},
        cast(null as varchar) as _read_error
    from (
        select
            *,
            row_number() over () as kept_number
        from {{ reader }}
    ) as kept_records
    asof left join (values {{ skips | join(', ') }}) as skips (kept_before, skipped_before)
        on kept_records.kept_number > skips.kept_before
{%- endmacro %}
