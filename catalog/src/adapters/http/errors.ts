import { HttpProblem, fieldProblem, unwrapWith } from '@shop/platform/http/problem'
import type { CatalogError } from '../../domain/errors.ts'

/** The one place where catalog's domain errors become HTTP statuses. */
function toProblem(e: CatalogError): HttpProblem {
  switch (e.type) {
    case 'CategoryNotFound':
      return new HttpProblem(404, 'CATEGORY_NOT_FOUND', `category ${e.id} not found`)
    case 'ParentNotFound':
      return fieldProblem('UNKNOWN_PARENT', 'parent_id', `parent category ${e.parentId} does not exist`)
    case 'CategoryNameTaken':
      return new HttpProblem(
        409,
        'CATEGORY_NAME_TAKEN',
        `a sibling category is already named "${e.name}" (names are compared without case)`,
      )
    case 'CategoryCycle':
      return new HttpProblem(
        409,
        'CATEGORY_CYCLE',
        `category ${e.id} cannot move under ${e.parentId}: that is itself or one of its descendants`,
      )
    case 'CategoryHasChildren':
      return new HttpProblem(409, 'CATEGORY_HAS_CHILDREN', `category ${e.id} still has subcategories`)
    case 'CategoryHasProducts':
      return new HttpProblem(409, 'CATEGORY_HAS_PRODUCTS', `category ${e.id} still has products`)
    case 'ProductNotFound':
      return new HttpProblem(404, 'PRODUCT_NOT_FOUND', `product ${e.id} not found`)
    case 'UnknownCategory':
      return fieldProblem('UNKNOWN_CATEGORY', 'category_id', `category ${e.categoryId} does not exist`)
    case 'SkuTaken':
      return new HttpProblem(
        409,
        'SKU_TAKEN',
        `another product already has the SKU "${e.sku}" (SKUs are compared without case)`,
      )
  }
}

/** A use case's Result: its value, or the problem its error maps to (thrown, rendered by the app). */
export const unwrap = unwrapWith(toProblem)
