// warm-pull-10k with every file a hardlink (no bundles/): what linking alone
// costs against cp -al, without the private copies bundles require.
import { linksOnlyShape, warmPull10k } from './warm-pull-10k.mjs';

export default warmPull10k({
  name: 'warm-pull-10k-links',
  description: 'warm-pull-10k with the bundles/ files moved to models/ (all hardlinks) vs cp -al of the tree',
  shape: linksOnlyShape,
});
