import { beforeAll, describe, expect, test } from 'bun:test'
import { columns } from '../src/postgres/columns.ts'
import type { Sql } from '../src/postgres/connect.ts'
import { adapterDatabases } from '../testing/databases.ts'

interface Row {
  id: number
  name: string
}
const rowColumns = columns<Row>()('id', 'name')

test('the names are checked against the row type, both ways', () => {
  expect(rowColumns.names).toEqual(['id', 'name'])
  // @ts-expect-error a field of the row left out
  columns<Row>()('id')
  // @ts-expect-error a name the row does not have
  columns<Row>()('id', 'name', 'other')
})

for (const db of await adapterDatabases('columns', [])) {
  describe(`columns on postgres (${db.kind})`, () => {
    let sql: Sql
    beforeAll(async () => {
      sql = await db.open()
      await sql`create table t (id int, name text, other text)`
      await sql`insert into t values (1, 'a', 'x')`
    })

    test('a select list, plain or qualified by an alias, reads exactly the row', async () => {
      expect([...(await sql`select ${rowColumns.of(sql)} from t`)]).toEqual([{ id: 1, name: 'a' }])
      expect([...(await sql`select ${rowColumns.of(sql, 'x')}, x.other from t x`)]).toEqual([
        { id: 1, name: 'a', other: 'x' },
      ])
    })

    test("a list of names in returning lists too, next to an update and postgres.js's insert helper", async () => {
      expect([
        ...(await sql`with w as (update t set other = 'y' returning ${rowColumns.of(sql)}) select ${rowColumns.of(
          sql,
          'w',
        )} from w`),
      ]).toEqual([{ id: 1, name: 'a' }])
      const inserted = await sql`insert into t ${sql({ id: 2, name: 'b', other: 'z' })} returning ${rowColumns.of(sql)}`
      expect([...inserted]).toEqual([{ id: 2, name: 'b' }])
    })
  })
}
