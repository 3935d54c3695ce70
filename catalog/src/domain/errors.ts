import type { UniqueField } from './product.ts'

/** Expected failures of the catalog use cases; adapters/http/errors.ts maps each type to a status. */
export type CatalogError =
  | { readonly type: 'CategoryNotFound'; readonly id: number }
  /** The parent named in a create or a move does not exist. */
  | { readonly type: 'ParentNotFound'; readonly parentId: number }
  | { readonly type: 'CategoryNameTaken'; readonly name: string; readonly parentId: number | null }
  /** A move under the category itself or one of its descendants. */
  | { readonly type: 'CategoryCycle'; readonly id: number; readonly parentId: number }
  | { readonly type: 'CategoryHasChildren'; readonly id: number }
  | { readonly type: 'CategoryHasProducts'; readonly id: number }
  | { readonly type: 'ProductNotFound'; readonly id: number }
  /** The category named by a product's category_id does not exist. */
  | { readonly type: 'UnknownCategory'; readonly categoryId: number }
  /** Another product has this value of a unique field (PRODUCT_UNIQUE: compared by the field's key). */
  | { readonly type: 'Taken'; readonly field: UniqueField; readonly value: string }

export type ErrorOf<T extends CatalogError['type']> = Extract<CatalogError, { type: T }>

/** What a product's insert or update may meet in the store. */
export type ProductWriteError = ErrorOf<'UnknownCategory' | 'Taken'>
