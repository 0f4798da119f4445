{#-
    The customer mart that BI tools read: `int_customers_joined` published as it is. The
    columns are computed, typed and tested there, where the segment models also read them,
    so no intermediate model reads this mart. A view: the data is stored once.
-#}
{{ config(materialized='view') }}

with

customers as (
    select * from {{ ref('int_customers_joined') }}
)

-- every column of int_customers_joined, by design: the mart is that table, published
select * from customers  -- noqa: AM04
