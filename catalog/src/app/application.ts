import { bindAll } from '@shop/kernel/app'
import type { CatalogDeps } from '../ports.ts'
import { catalogVersions } from './catalog-versions.ts'
import { categoryTree, getCategory, listCategories } from './category-queries.ts'
import { createCategory } from './create-category.ts'
import { createProduct } from './create-product.ts'
import { deleteCategory } from './delete-category.ts'
import { deleteProduct } from './delete-product.ts'
import { getProduct, listProducts, productsInCategory } from './product-queries.ts'
import { releaseStock } from './release-stock.ts'
import { reserveStock } from './reserve-stock.ts'
import { updateCategory } from './update-category.ts'
import { updateProduct } from './update-product.ts'

/**
 * The catalog application: every use case, given the store and the clock. Commands change
 * state, queries read it, and the event handlers answer the order events (the stock side of the saga).
 */
export function catalogApplication(deps: CatalogDeps) {
  return {
    commands: bindAll(deps, {
      createCategory,
      updateCategory,
      deleteCategory,
      createProduct,
      updateProduct,
      deleteProduct,
    }),
    queries: bindAll(deps, {
      catalogVersions,
      getCategory,
      listCategories,
      categoryTree,
      getProduct,
      listProducts,
      productsInCategory,
    }),
    /** The stock side of the saga: reserveStock answers order.placed, releaseStock order.cancelled. */
    events: bindAll(deps, { reserveStock, releaseStock }),
  }
}

export type CatalogApplication = ReturnType<typeof catalogApplication>
