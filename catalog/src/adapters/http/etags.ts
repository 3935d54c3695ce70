import { weakTag } from '@shop/platform/http/conditional'
import type { CatalogVersions } from '../../ports.ts'

/**
 * Entity tags of the listings, made of the change counters alone, so a conditional listing is
 * answered from one single-row read. A tag only has to tell apart the answers of one URL (caches
 * key by URL), and while the counters stand still every URL answers the same.
 *
 * Product listings show categories too (each product's `category`, the `category_id` subtree),
 * so their tag has both counters; category listings and trees show no product, so a stock change
 * (every order) leaves their tag as it was.
 */
export const productListTag = (v: CatalogVersions): string => weakTag(`${v.epoch}-p${v.products}-c${v.categories}`)

export const categoryListTag = (v: CatalogVersions): string => weakTag(`${v.epoch}-c${v.categories}`)

/** How each read is tagged, for the documents. */
export const PRODUCT_LIST_TAGS =
  'The answer carries an ETag that changes with every committed change of a product (stock included) or a category; ' +
  '`If-None-Match` with it answers 304 with no body, without running the listing again.'
export const CATEGORY_LIST_TAGS =
  'The answer carries an ETag that changes with every committed change of a category (not with product or stock ' +
  'changes); `If-None-Match` with it answers 304 with no body, without running the listing again.'
export const ONE_TAG =
  'The answer carries an ETag (a digest of the body); `If-None-Match` with it answers 304 with no body.'
