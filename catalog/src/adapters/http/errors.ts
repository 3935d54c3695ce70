import { HttpProblem, fieldProblem, unwrapWith } from '@shop/platform/http/problem'
import { snakeCase } from '@shop/kernel/wire'
import type { CatalogError } from '../../domain/errors.ts'
import { PRODUCT_UNIQUE, type UniqueField } from '../../domain/product.ts'

/** The code of a clash on a unique field: `SKU_TAKEN` for `sku`. */
export const takenCode = (field: UniqueField): string => `${snakeCase(field).toUpperCase()}_TAKEN`

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
    case 'Taken': {
      const { noun, plural, compared } = PRODUCT_UNIQUE[e.field]
      return new HttpProblem(
        409,
        takenCode(e.field),
        `another product already has the ${noun} "${e.value}" (${plural} are compared ${compared})`,
      )
    }
  }
}

/** A use case's Result: its value, or the problem its error maps to (thrown, rendered by the app). */
export const unwrap = unwrapWith(toProblem)
