import type { CatalogDeps } from '../ports.ts'
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
 * state, queries read it, and the handlers answer the order events (the stock side of the saga).
 */
export function catalogApplication(deps: CatalogDeps) {
  const given =
    <A extends unknown[], R>(useCase: (deps: CatalogDeps, ...args: A) => R) =>
    (...args: A): R =>
      useCase(deps, ...args)
  return {
    commands: {
      createCategory: given(createCategory),
      updateCategory: given(updateCategory),
      deleteCategory: given(deleteCategory),
      createProduct: given(createProduct),
      updateProduct: given(updateProduct),
      deleteProduct: given(deleteProduct),
    },
    queries: {
      getCategory: given(getCategory),
      listCategories: given(listCategories),
      categoryTree: given(categoryTree),
      getProduct: given(getProduct),
      listProducts: given(listProducts),
      productsInCategory: given(productsInCategory),
    },
    handlers: {
      /** order.placed */
      reserveStock: given(reserveStock),
      /** order.cancelled */
      releaseStock: given(releaseStock),
    },
  }
}

export type CatalogApplication = ReturnType<typeof catalogApplication>
